/// How far rollups are: they hold every telemetry row up to `done` (storage order); `head` is
/// the newest position handed out (its row may not be committed yet). `generation` changes when
/// telemetry is deleted, voiding rollups computed from rows read before.
public struct RollupWatermark: Sendable, Hashable {
    public var done: Int64
    public var generation: Int64
    public var head: Int64

    public init(done: Int64, generation: Int64, head: Int64) {
        self.done = done
        self.generation = generation
        self.head = head
    }

    /// Rows stored (or being stored) but not rolled up yet.
    public var lag: Int64 { Swift.max(0, head - done) }
}
