public import MQTTCore
public import NIOCore

/// What became of a publish at the broker's gate.
public enum PublishResult: Sendable {
    /// Authorized, accepted by the interceptors and routed. `commit` completes when the
    /// observers that hold acknowledgements (the ingest pipeline) are done with it; nil when
    /// none waits.
    case routed(commit: EventLoopFuture<Void>?)
    /// Refused by an authorizer (`notAuthorized`) or an interceptor (its reason code).
    case rejected(ReasonCode)

    /// The commit future of a routed message; nil when none waits or it was rejected.
    public var commit: EventLoopFuture<Void>? {
        if case .routed(let commit) = self { return commit }
        return nil
    }
}

/// A message that passed the broker's gate, ready to route: only ``Broker/admit(_:from:)``
/// makes one, so nothing reaches subscribers or observers without passing it.
public struct AdmittedMessage: Sendable {
    /// The message as the interceptors left it.
    public let message: Message
    /// Who published it.
    public let client: ClientInfo

    /// Made by the broker's gate only.
    package init(message: Message, client: ClientInfo) {
        self.message = message
        self.client = client
    }
}

/// The gate's answer for one message.
public enum Admission: Sendable {
    case admitted(AdmittedMessage)
    /// Refused by an authorizer (`notAuthorized`) or an interceptor (its reason code).
    case rejected(ReasonCode)
}
