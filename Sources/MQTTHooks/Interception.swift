public import MQTTCore
import NIOCore

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
