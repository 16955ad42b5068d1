import MQTTCore
import NIOCore

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
