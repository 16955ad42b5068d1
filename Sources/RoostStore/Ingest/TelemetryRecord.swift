/// One telemetry message, ready to store.
public struct TelemetryRecord: Sendable, Hashable {
    /// The device's row id.
    public var device: Int64
    /// Device time if it sent one, else receive time; epoch milliseconds.
    public var ts: Int64
    /// Server receive time, epoch milliseconds.
    public var receivedAt: Int64
    /// The device's message id; a second message with the same id is not stored again.
    public var msgID: String?
    /// The flattened leaves as one JSON object (`{"temp":21.5,"extra.hum":40}`); numeric
    /// strings are numbers here, so aggregates read any numeric key straight from it.
    public var data: String
    /// The payload as the device sent it, when it was JSON (HTTP and MQTT ingest keep it).
    public var payload: String?

    public init(device: Int64, ts: Int64, receivedAt: Int64, msgID: String?, data: String, payload: String? = nil) {
        self.device = device
        self.ts = ts
        self.receivedAt = receivedAt
        self.msgID = msgID
        self.data = data
        self.payload = payload
    }
}
