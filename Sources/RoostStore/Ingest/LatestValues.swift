/// The newest value of each key of a device, with the time of the newest message.
public struct LatestValues: Sendable, Hashable {
    /// Epoch milliseconds of the newest telemetry.
    public var ts: Int64
    /// A JSON object of the newest value of each key.
    public var data: String

    public init(ts: Int64, data: String) {
        self.ts = ts
        self.data = data
    }
}
