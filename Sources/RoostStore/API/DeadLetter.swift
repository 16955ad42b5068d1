/// A stored message the ingest refused, with why.
public struct DeadLetter: Sendable, Hashable {
    public var id: Int64
    public var topic: String
    public var receivedAt: Int64
    public var reason: String
    public var detail: String
    public var payload: [UInt8]

    public init(id: Int64, topic: String, receivedAt: Int64, reason: String, detail: String, payload: [UInt8]) {
        self.id = id
        self.topic = topic
        self.receivedAt = receivedAt
        self.reason = reason
        self.detail = detail
        self.payload = payload
    }
}
