/// A stored telemetry row as rollups read it.
public struct RollupSourceRow: Sendable, Hashable {
    /// Storage order: SQLite's rowid, PostgreSQL's identity.
    public var id: Int64
    public var device: Int64
    public var ts: Int64
    /// The flattened leaves (``TelemetryRecord/data``).
    public var data: String

    public init(id: Int64, device: Int64, ts: Int64, data: String) {
        self.id = id
        self.device = device
        self.ts = ts
        self.data = data
    }
}
