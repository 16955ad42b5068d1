/// An aggregate's answer as one flat table: per bucket, per key (the query's order), per
/// function (the query's order), the value or nil. One allocation for a whole answer, where
/// ``AggregateBucket``s hold two dictionaries a bucket.
public struct AggregateTable: Sendable, Hashable {
    public let keys: [String]
    public let functions: [AggregateFunction]
    /// Bucket starts, ascending.
    public private(set) var starts: [Int64] = []
    /// `starts.count * keys.count * functions.count` values.
    public private(set) var values: [Double?] = []

    /// An empty table for `keys` and `functions`.
    public init(keys: [String], functions: [AggregateFunction]) {
        self.keys = keys
        self.functions = functions
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
        self.init(keys: keys, functions: functions)
        for b in buckets {
            append(start: b.start, keys.flatMap { key in functions.map { b.values[key]?[$0] } })
        }
    }

    /// Adds a bucket after the others; `row` holds `keys.count * functions.count` values.
    public mutating func append(start: Int64, _ row: some Collection<Double?>) {
        precondition(row.count == keys.count * functions.count, "one value per key and function")
        starts.append(start)
        values.append(contentsOf: row)
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
