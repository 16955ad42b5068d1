/// A message that could not be used, kept for inspection.
public struct DeadLetterRecord: Sendable, Hashable {
    public var device: Int64?
    public var topic: String
    public var receivedAt: Int64
    /// A stable code (`not_json`, `not_object`, `too_large`, …).
    public var reason: String
    public var detail: String
    public var payload: [UInt8]

    public init(device: Int64?, topic: String, receivedAt: Int64, reason: String, detail: String, payload: [UInt8]) {
        self.device = device
        self.topic = topic
        self.receivedAt = receivedAt
        self.reason = reason
        self.detail = detail
        self.payload = payload
    }
}
