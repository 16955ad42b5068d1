/// An aggregate's answer as one flat table: per bucket, per key (the query's order), per
/// function (the query's order), the value or nil. One allocation for a whole answer, where
/// ``AggregateBucket``s hold two dictionaries a bucket.
public struct AggregateTable: Sendable, Hashable {
    public let keys: [String]
    public let functions: [AggregateFunction]
    /// Bucket starts, ascending.
    public let starts: [Int64]
    /// `starts.count * keys.count * functions.count` values.
    public let values: [Double?]

    /// An empty table for `keys` and `functions`.
    public init(keys: [String], functions: [AggregateFunction]) {
        self.init(keys: keys, functions: functions, starts: [], values: [])
    }

    /// A table from its columns: `values` holds `starts.count * keys.count * functions.count`
    /// values, bucket by bucket, key by key, function by function.
    public init(keys: [String], functions: [AggregateFunction], starts: [Int64], values: [Double?]) {
        precondition(values.count == starts.count * keys.count * functions.count, "one value per key and function")
        self.keys = keys
        self.functions = functions
        self.starts = starts
        self.values = values
    }

    /// The table of `buckets` (a store's answer).
    public init(keys: [String], functions: [AggregateFunction], buckets: [AggregateBucket]) {
        self.init(
            keys: keys, functions: functions, starts: buckets.map(\.start),
            values: buckets.flatMap { b in keys.flatMap { key in functions.map { b.values[key]?[$0] } } })
    }

    /// The value of `key`'s `function` in bucket number `bucket`.
    public func value(bucket: Int, key: Int, function: Int) -> Double? {
        values[(bucket * keys.count + key) * functions.count + function]
    }

    /// The answer as buckets of dictionaries.
    public var buckets: [AggregateBucket] {
        starts.indices.map { b in
            var values: [String: [AggregateFunction: Double]] = [:]
            for (k, key) in keys.enumerated() {
                var perKey: [AggregateFunction: Double] = [:]
                for (f, function) in functions.enumerated() {
                    if let v = value(bucket: b, key: k, function: f) { perKey[function] = v }
                }
                values[key] = perKey
            }
            return AggregateBucket(start: starts[b], values: values)
        }
    }
}
