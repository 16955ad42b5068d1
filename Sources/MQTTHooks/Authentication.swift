public import MQTTCore
import NIOCore

/// What a CONNECT asks to be let in with.
public struct AuthenticationRequest: Sendable {
    public var clientID: String
    public var username: String?
    public var password: [UInt8]?
    public var protocolVersion: ProtocolVersion
    public var remoteAddress: String?
    public var listener: String

    /// A request; `listener` is `tcp`, `tls`, `ws`, `wss`, `http` or `inline`.
    public init(
        clientID: String, username: String?, password: [UInt8]?, protocolVersion: ProtocolVersion,
        remoteAddress: String?, listener: String
    ) {
        self.clientID = clientID
        self.username = username
        self.password = password
        self.protocolVersion = protocolVersion
        self.remoteAddress = remoteAddress
        self.listener = listener
    }
}

/// An authenticator's answer.
public enum AuthenticationResult: Sendable {
    /// Let the client in, attaching facts for authorizers.
    case allow(attributes: [String: String] = [:])
    /// Refuse with this reason code (0x86 bad user name or password by default).
    case deny(ReasonCode = .badUserNameOrPassword)
    /// No opinion: ask the next authenticator.
    case ignore
}

/// Checks credentials at CONNECT. Once any authenticator is configured, a client that none of
/// them allows is refused (deny by default), unless it is anonymous and anonymous access is on.
public protocol MQTTAuthenticator: Sendable {
    func authenticate(_ request: AuthenticationRequest) async -> AuthenticationResult
}
