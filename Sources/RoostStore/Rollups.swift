/// What one key of one device did in one period: enough to answer every ``AggregateFunction``
/// for that period, and to merge with the neighbouring periods into larger buckets.
///
/// `first` and `last` follow the order (device time, then storage order): among points with the
/// same time, the one stored first is first, the one stored last is last.
public struct RollupCell: Sendable, Hashable {
    public var count: Int64
    public var sum: Double
    public var min: Double
    public var max: Double
    public var firstTS: Int64
    public var first: Double
    public var lastTS: Int64
    public var last: Double

    /// A cell holding one value.
    public init(ts: Int64, value: Double) {
        self.init(count: 1, sum: value, min: value, max: value, firstTS: ts, first: value, lastTS: ts, last: value)
    }

    public init(
        count: Int64, sum: Double, min: Double, max: Double, firstTS: Int64, first: Double, lastTS: Int64,
        last: Double
    ) {
        self.count = count
        self.sum = sum
        self.min = min
        self.max = max
        self.firstTS = firstTS
        self.first = first
        self.lastTS = lastTS
        self.last = last
    }

    /// Adds a value stored after every value already in the cell.
    public mutating func add(ts: Int64, value: Double) {
        merge(RollupCell(ts: ts, value: value))
    }

    /// Merges a cell whose values were all stored after this cell's (ties in time go to this
    /// cell for `first` and to `later` for `last`).
    public mutating func merge(_ later: RollupCell) {
        count += later.count
        sum += later.sum
        min = Swift.min(min, later.min)
        max = Swift.max(max, later.max)
        if later.firstTS < firstTS { (firstTS, first) = (later.firstTS, later.first) }
        if later.lastTS >= lastTS { (lastTS, last) = (later.lastTS, later.last) }
    }

    /// The value of one aggregate function.
    public func value(_ function: AggregateFunction) -> Double {
        switch function {
        case .avg: sum / Double(count)
        case .min: min
        case .max: max
        case .count: Double(count)
        case .sum: sum
        case .first: first
        case .last: last
        }
    }
}

/// Where a rollup cell belongs: a device, a flattened key, a minute (epoch ms, a multiple of
/// 60,000).
public struct RollupKey: Sendable, Hashable {
    public var device: Int64
    public var key: String
    public var minute: Int64

    public init(device: Int64, key: String, minute: Int64) {
        self.device = device
        self.key = key
        self.minute = minute
    }
}

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
