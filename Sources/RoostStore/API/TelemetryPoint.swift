/// One stored telemetry message.
public struct TelemetryPoint: Sendable, Hashable {
    /// Row id: with `ts`, the cursor of history pages.
    public var id: Int64
    public var ts: Int64
    public var receivedAt: Int64
    public var msgID: String?
    /// Flattened leaves, a JSON object.
    public var data: String
    /// The raw payload, when kept.
    public var payload: String?

    public init(id: Int64, ts: Int64, receivedAt: Int64, msgID: String?, data: String, payload: String?) {
        self.id = id
        self.ts = ts
        self.receivedAt = receivedAt
        self.msgID = msgID
        self.data = data
        self.payload = payload
    }
}
