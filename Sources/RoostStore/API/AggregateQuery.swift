/// Functions an aggregate computes per bucket and key.
public enum AggregateFunction: String, Sendable, Hashable, CaseIterable, Codable {
    case avg, min, max, count, sum, first, last
}

/// Numeric keys of one device over `[from, to)`, in buckets of `bucket` ms aligned to the epoch
/// (a bucket starts at a multiple of `bucket`; the first and last may be cut by `from` and `to`).
public struct AggregateQuery: Sendable, Hashable {
    public var device: Int64
    public var keys: [String]
    public var from: Int64
    public var to: Int64
    public var bucket: Int64
    public var functions: [AggregateFunction]

    public init(device: Int64, keys: [String], from: Int64, to: Int64, bucket: Int64, functions: [AggregateFunction]) {
        self.device = device
        self.keys = keys
        self.from = from
        self.to = to
        self.bucket = bucket
        self.functions = functions
    }
}

/// One bucket of an aggregate: per key, per function, the value (absent when the bucket holds
/// no numeric value of that key).
public struct AggregateBucket: Sendable, Hashable {
    public var start: Int64
    public var values: [String: [AggregateFunction: Double]]

    public init(start: Int64, values: [String: [AggregateFunction: Double]]) {
        self.start = start
        self.values = values
    }
}
