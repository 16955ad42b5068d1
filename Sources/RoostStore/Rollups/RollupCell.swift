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
