public import RoostStore

/// Answers aggregates from the per-minute rollups where it can: buckets that are whole minutes
/// read one rollup row per key and minute, plus the raw rows the rollups do not hold yet (the
/// partial minutes at the range's ends and the rows stored since the watermark). Anything else
/// — buckets that are not whole minutes, ranges under two minutes, rollups far behind — goes to
/// the store's own aggregate over raw rows. Both give the same answer.
///
/// Buckets are aligned to the Unix epoch (a `1h` bucket starts on the hour, `1d` at midnight
/// UTC); the first and last may be cut by `from` and `to`. Buckets without a numeric value of
/// any requested key are left out.
public struct AggregatePlanner: Sendable {
    let store: any TelemetryStore & RollupStore
    /// Past this many rows not rolled up, the raw path is the cheaper one (the tail reads the
    /// rows stored since the watermark, of every device, in storage order).
    let maxLag: Int64

    /// A planner over `store`.
    public init(store: any TelemetryStore & RollupStore, maxLag: Int64 = 100_000) {
        self.store = store
        self.maxLag = maxLag
    }

    /// The aggregate `q`, from rollups when possible.
    public func aggregate(_ q: AggregateQuery) async throws -> AggregateTable {
        let minute = RollupBuilder.minute
        let raw = { AggregateTable(keys: q.keys, functions: q.functions, buckets: try await store.aggregate(q)) }
        guard !q.keys.isEmpty, q.bucket > 0 else { return AggregateTable(keys: q.keys, functions: q.functions) }
        let inner = (RollupBuilder.floor(q.from + minute - 1, to: minute))..<RollupBuilder.floor(q.to, to: minute)
        guard q.bucket % minute == 0, inner.upperBound - inner.lowerBound >= 2 * minute, Self.slots(q) <= Self.maxSlots
        else {
            return try await raw()
        }
        // The watermark read before and after must agree, or the rollups and the tail may
        // overlap (a round committed in between): then read again.
        for _ in 0..<3 {
            let before = try await store.rollupWatermark()
            guard before.lag <= maxLag else { break }
            let cells = try await store.rollups(
                device: q.device, keys: q.keys, from: inner.lowerBound, to: inner.upperBound, functions: q.functions)
            let tail = try await store.rollupTail(
                device: q.device, from: q.from, to: q.to, covered: inner, after: before.done)
            let after = try await store.rollupWatermark()
            guard after.done == before.done, after.generation == before.generation else { continue }
            return Self.table(q, cells: cells, tail: tail)
        }
        return try await raw()
    }

    /// Merges stored cells with raw rows into the query's buckets.
    static func table(
        _ q: AggregateQuery, cells: [(key: String, minute: Int64, cell: RollupCell)], tail: [RollupSourceRow]
    ) -> AggregateTable {
        var keyIndex: [String: Int] = [:]
        for (i, key) in q.keys.enumerated() where keyIndex[key] == nil { keyIndex[key] = i }
        let first = RollupBuilder.floor(q.from, to: q.bucket)
        let width = q.keys.count
        // Slot: bucket number * keys + key (the planner takes only ranges of at most
        // `maxSlots` slots).
        var slots = [RollupCell?](repeating: nil, count: Self.slots(q))
        func fold(_ ts: Int64, _ key: Int, _ cell: RollupCell) {
            let slot = Int((RollupBuilder.floor(ts, to: q.bucket) - first) / q.bucket) * width + key
            if slots[slot] != nil { slots[slot]!.merge(cell) } else { slots[slot] = cell }
        }
        // Stored cells first: their rows were all stored before the tail's.
        // Stores return cells key by key: the last key's index saves hashing each cell's key.
        var last: (key: String, index: Int?)?
        for c in cells {
            let k: Int?
            if let last, last.key == c.key {
                k = last.index
            } else {
                k = keyIndex[c.key]
                last = (c.key, k)
            }
            if let k { fold(c.minute, k, c.cell) }
        }
        for row in tail {
            RollupBuilder.forEachNumber(in: row.data) { key, value in
                if let k = keyIndex[key] { fold(row.ts, k, RollupCell(ts: row.ts, value: value)) }
            }
        }
        var starts: [Int64] = []
        var values: [Double?] = []
        values.reserveCapacity(cells.count * q.functions.count)
        let countOnly: [Double?] = q.functions.map { $0 == .count ? 0 : nil }
        for bucket in 0..<(slots.count / width) {
            let base = bucket * width
            guard slots[base..<(base + width)].contains(where: { $0 != nil }) else { continue }
            starts.append(first + Int64(bucket) * q.bucket)
            for k in 0..<width {
                if let cell = slots[base + k] {
                    for f in q.functions { values.append(cell.value(f)) }
                } else {
                    values.append(contentsOf: countOnly)  // count is 0, not absent
                }
            }
        }
        return AggregateTable(keys: q.keys, functions: q.functions, starts: starts, values: values)
    }

    /// Buckets times keys of `q`.
    static func slots(_ q: AggregateQuery) -> Int {
        let first = RollupBuilder.floor(q.from, to: q.bucket)
        let last = RollupBuilder.floor(q.to - 1, to: q.bucket)
        return Int((last - first) / q.bucket + 1) * q.keys.count
    }

    /// Above this many slots the raw path answers (the store groups in SQL).
    static let maxSlots = 1_000_000
}
