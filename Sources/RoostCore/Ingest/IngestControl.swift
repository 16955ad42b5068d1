/// What the API may ask of the ingest pipeline: its counters, and to forget cached device ids
/// after devices were deleted (they are looked up, or registered again, on their next message).
public protocol IngestControl: Sendable {
    /// Counters and queue depth, for `/stats` and `/metrics`.
    var statistics: IngestStats.Snapshot { get }
    /// Drops cached device ids.
    func forgetDevices()
}
