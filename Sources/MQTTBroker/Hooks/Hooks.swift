public import MQTTCore
public import NIOCore

/// Who a connected client is, as hooks see it.
public struct ClientInfo: Sendable {
    public var clientID: String
    public var username: String?
    public var protocolVersion: ProtocolVersion
    /// `ip:port` of the peer, nil for the inline client.
    public var remoteAddress: String?
    /// Which listener accepted it: `tcp`, `tls`, `ws`, `wss` or `inline`.
    public var listener: String
    /// Facts an authenticator attached (e.g. `device`, `tenant`), read by authorizers.
    public var attributes: [String: String]

    public init(
        clientID: String, username: String? = nil, protocolVersion: ProtocolVersion = .v5,
        remoteAddress: String? = nil, listener: String = "inline", attributes: [String: String] = [:]
    ) {
        self.clientID = clientID
        self.username = username
        self.protocolVersion = protocolVersion
        self.remoteAddress = remoteAddress
        self.listener = listener
        self.attributes = attributes
    }
}

/// What a CONNECT asks to be let in with.
public struct AuthenticationRequest: Sendable {
    public var clientID: String
    public var username: String?
    public var password: [UInt8]?
    public var protocolVersion: ProtocolVersion
    public var remoteAddress: String?
    public var listener: String
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

/// What a client wants to do with a topic.
public enum AuthorizationAction: Sendable, Hashable {
    /// Publish to a topic name (Mosquitto's `write`).
    case publish
    /// Subscribe to a topic filter (Mosquitto's `read`).
    case subscribe
}

/// An authorizer's answer.
public enum AuthorizationResult: Sendable {
    case allow, deny, ignore
}

/// Decides per topic whether a client may publish or subscribe. Runs on the connection's event
/// loop for every PUBLISH, so it must not block. With authorizers configured, a request that
/// none allows is denied.
public protocol MQTTAuthorizer: Sendable {
    func authorize(_ client: ClientInfo, _ action: AuthorizationAction, topic: String) -> AuthorizationResult
}

/// An interceptor's answer for one PUBLISH.
public enum InterceptResult: Sendable {
    /// Route this message (the original or a rewritten one).
    case accept(Message)
    /// Refuse it: PUBACK/PUBREC with this reason in 5.0; dropped silently in 3.1.1.
    case reject(ReasonCode)
}

/// May rewrite or reject each published message before it is routed.
public protocol MQTTInterceptor: Sendable {
    func intercept(_ message: Message, from client: ClientInfo) -> InterceptResult
}

/// Why a client went away, as observers see it.
public enum DisconnectReason: Sendable, Hashable {
    /// DISCONNECT sent by the client (with its reason code).
    case clientDisconnected(ReasonCode)
    /// Keep alive expired.
    case keepAliveTimeout
    /// Another connection took the client id over.
    case takenOver
    /// A protocol violation or malformed packet.
    case protocolError(ReasonCode)
    /// The socket closed without DISCONNECT.
    case connectionLost
    /// The server is shutting down.
    case serverShutdown

    /// `true` when the Last Will must be published.
    public var publishesWill: Bool {
        switch self {
        case .clientDisconnected(let code): code == .disconnectWithWill
        case .serverShutdown: false
        default: true
        }
    }
}

/// Watches what happens. `messagePublished` may return a future: a QoS 1/2 acknowledgement to
/// the publisher is then held until it succeeds (the ingest pipeline's ack-after-commit), without
/// blocking the connection.
public protocol MQTTObserver: Sendable {
    func clientConnected(_ client: ClientInfo)
    func clientDisconnected(_ client: ClientInfo, reason: DisconnectReason)
    func messagePublished(_ message: Message, from client: ClientInfo?) -> EventLoopFuture<Void>?
    func subscribed(_ client: ClientInfo, to subscription: Subscription)
    func unsubscribed(_ client: ClientInfo, from filter: String)
}

extension MQTTObserver {
    public func clientConnected(_ client: ClientInfo) {}
    public func clientDisconnected(_ client: ClientInfo, reason: DisconnectReason) {}
    public func messagePublished(_ message: Message, from client: ClientInfo?) -> EventLoopFuture<Void>? { nil }
    public func subscribed(_ client: ClientInfo, to subscription: Subscription) {}
    public func unsubscribed(_ client: ClientInfo, from filter: String) {}
}

/// The ordered hook chain: authenticators, authorizers, interceptors, observers.
public struct BrokerHooks: Sendable {
    public var authenticators: [any MQTTAuthenticator] = []
    public var authorizers: [any MQTTAuthorizer] = []
    public var interceptors: [any MQTTInterceptor] = []
    public var observers: [any MQTTObserver] = []

    public init() {}

    /// Runs the authenticators in order; deny by default once any is configured.
    func authenticate(_ request: AuthenticationRequest, allowAnonymous: Bool) async -> AuthenticationResult {
        if authenticators.isEmpty { return .allow() }
        for authenticator in authenticators {
            switch await authenticator.authenticate(request) {
            case .ignore: continue
            case let result: return result
            }
        }
        if request.username == nil && allowAnonymous { return .allow() }
        return .deny(request.username == nil ? .notAuthorized : .badUserNameOrPassword)
    }

    /// Runs the authorizers in order; allowed when none is configured, denied when none allows.
    func authorize(_ client: ClientInfo, _ action: AuthorizationAction, topic: String) -> Bool {
        if authorizers.isEmpty { return true }
        for authorizer in authorizers {
            switch authorizer.authorize(client, action, topic: topic) {
            case .allow: return true
            case .deny: return false
            case .ignore: continue
            }
        }
        return false
    }
}
