import NIOCore

/// One topic filter with its options in SUBSCRIBE.
public struct Subscription: Sendable, Hashable, Codable {
    /// What to do with retained messages at subscribe time (5.0; 3.1.1 always sends them).
    public enum RetainHandling: UInt8, Sendable, Hashable, Codable {
        case sendAlways = 0, sendIfNew = 1, never = 2
    }
    public var filter: String
    public var qos: QoS
    public var noLocal: Bool
    public var retainAsPublished: Bool
    public var retainHandling: RetainHandling

    public init(
        filter: String, qos: QoS = .atMostOnce, noLocal: Bool = false, retainAsPublished: Bool = false,
        retainHandling: RetainHandling = .sendAlways
    ) {
        self.filter = filter
        self.qos = qos
        self.noLocal = noLocal
        self.retainAsPublished = retainAsPublished
        self.retainHandling = retainHandling
    }
}
