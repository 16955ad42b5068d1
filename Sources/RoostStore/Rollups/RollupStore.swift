/// Per-minute rollups of every numeric key, kept beside the telemetry so that aggregates over
/// long ranges read one row per key and minute instead of every point.
///
/// Rollups cover the telemetry rows up to a watermark in storage order; rows after it are read
/// raw when an aggregate needs them, so answers are exact whatever the lag.
public protocol RollupStore: Sendable {
    /// Cheap: one small read.
    func rollupWatermark() async throws -> RollupWatermark
    /// The position up to which every row is committed, as far as `mark.head` (read with the
    /// watermark); `mark.done` when nothing more is safe yet. May wait a moment for running
    /// writers.
    func rollupSafeHead(_ mark: RollupWatermark) async throws -> Int64
    /// Rows with `after < id <= through`, in storage order.
    func rollupSource(after: Int64, through: Int64) async throws -> [RollupSourceRow]
    /// Merges `cells` (distinct keys) into the stored rollups and moves the watermark to
    /// `through`, in one transaction. Returns false, changing nothing, when the watermark or the generation is no
    /// longer `read`'s (another node rolled the rows up, or telemetry was deleted).
    func writeRollups(_ cells: [(key: RollupKey, cell: RollupCell)], read: RollupWatermark, through: Int64) async throws
        -> Bool
    /// Stored cells of one device for `keys` with `from <= minute < to`. Only the fields that
    /// `functions` need are meant to be read; the others may hold anything.
    func rollups(device: Int64, keys: [String], from: Int64, to: Int64, functions: [AggregateFunction]) async throws
        -> [(key: String, minute: Int64, cell: RollupCell)]
    /// The device's rows with `from <= ts < to` that the rollups of `covered` do not hold:
    /// outside `covered`, or stored after `after`. Ordered by (ts, storage order).
    func rollupTail(device: Int64, from: Int64, to: Int64, covered: Range<Int64>, after: Int64) async throws
        -> [RollupSourceRow]
    /// Moves the cells of minutes before `cutoff` into one row per device, key and hour, for a
    /// store whose reads cost more per row than per byte; ``rollups(device:keys:from:to:functions:)``
    /// answers the same after. Returns the cells moved.
    func packRollups(before cutoff: Int64) async throws -> Int
}

extension RollupStore {
    /// Cells stay one row per minute.
    public func packRollups(before cutoff: Int64) async throws -> Int { 0 }
}
