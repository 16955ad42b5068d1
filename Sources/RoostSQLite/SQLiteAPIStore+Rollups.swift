public import RoostStore
import SQLiteNIO

extension SQLiteAPIStore {
    public func rollupWatermark() async throws -> RollupWatermark {
        try await store.read { db in
            let query = try db.statement(
                """
                SELECT s.done, s.generation, (SELECT coalesce(max(rowid), 0) FROM telemetry)
                FROM rollup_state s WHERE s.id = 1
                """)
            var mark = RollupWatermark(done: 0, generation: 0, head: 0)
            try query.forEachRow { row in
                mark = RollupWatermark(done: row.int64(0), generation: row.int64(1), head: row.int64(2))
            }
            return mark
        }
    }

    public func rollupSafeHead(_ mark: RollupWatermark) async throws -> Int64 {
        // One writer takes turns with every other, so every rowid up to the largest visible
        // one (the watermark's head) is committed.
        mark.head
    }

    public func rollupSource(after: Int64, through: Int64) async throws -> [RollupSourceRow] {
        try await store.read { db in
            let query = try db.statement(
                "SELECT rowid, device_id, ts, data FROM telemetry WHERE rowid > ? AND rowid <= ? ORDER BY rowid")
            query.bind(1, after)
            query.bind(2, through)
            return try Self.sourceRows(query)
        }
    }

    public func writeRollups(_ cells: [(key: RollupKey, cell: RollupCell)], read: RollupWatermark, through: Int64)
        async throws
        -> Bool
    {
        // On the ingest writer's connection, whose cache holds the pages these touch.
        try await store.directTransaction { db in
            let state = try db.statement("SELECT done, generation FROM rollup_state WHERE id = 1")
            var current: (done: Int64, generation: Int64)?
            try state.forEachRow { row in current = (row.int64(0), row.int64(1)) }
            guard let current, current.done == read.done, current.generation == read.generation else { return false }
            let upsert = try db.statement(
                """
                INSERT INTO telemetry_rollup (device_id, key, minute, n, total, lo, hi, first_ts, first_v, last_ts, last_v)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (device_id, key, minute) DO UPDATE SET
                    n = n + excluded.n, total = total + excluded.total,
                    lo = min(lo, excluded.lo), hi = max(hi, excluded.hi),
                    first_v = CASE WHEN excluded.first_ts < first_ts THEN excluded.first_v ELSE first_v END,
                    first_ts = min(first_ts, excluded.first_ts),
                    last_v = CASE WHEN excluded.last_ts >= last_ts THEN excluded.last_v ELSE last_v END,
                    last_ts = max(last_ts, excluded.last_ts)
                """)
            for (k, c) in cells {
                upsert.bind(1, k.device)
                upsert.bind(2, k.key)
                upsert.bind(3, k.minute)
                upsert.bind(4, c.count)
                upsert.bind(5, c.sum)
                upsert.bind(6, c.min)
                upsert.bind(7, c.max)
                upsert.bind(8, c.firstTS)
                upsert.bind(9, c.first)
                upsert.bind(10, c.lastTS)
                upsert.bind(11, c.last)
                try upsert.run()
            }
            let done = try db.statement("UPDATE rollup_state SET done = ? WHERE id = 1")
            done.bind(1, through)
            try done.run()
            return true
        }
    }

    public func rollups(
        device: Int64, keys: [String], from: Int64, to: Int64, functions: [AggregateFunction]
    ) async throws -> [(key: String, minute: Int64, cell: RollupCell)] {
        try await store.read { db in
            let query = try db.statement(
                """
                SELECT minute, n, total, lo, hi, first_ts, first_v, last_ts, last_v FROM telemetry_rollup
                WHERE device_id = ? AND key = ? AND minute >= ? AND minute < ?
                """)
            var cells: [(key: String, minute: Int64, cell: RollupCell)] = []
            for key in keys {
                query.bind(1, device)
                query.bind(2, key)
                query.bind(3, from)
                query.bind(4, to)
                try query.forEachRow { row in
                    let cell = RollupCell(
                        count: row.int64(1), sum: row.double(2), min: row.double(3), max: row.double(4),
                        firstTS: row.int64(5), first: row.double(6), lastTS: row.int64(7), last: row.double(8))
                    cells.append((key, row.int64(0), cell))
                }
            }
            return cells
        }
    }

    public func rollupTail(device: Int64, from: Int64, to: Int64, covered: Range<Int64>, after: Int64) async throws
        -> [RollupSourceRow]
    {
        // The partial minutes at both ends through the (device_id, ts) index; rows stored since
        // the watermark through the rowid (`+` keeps SQLite off the index there: the rows after
        // the watermark are few, the device's rows in the range are many). `+?` keeps SQLite
        // from recompiling the cached statement on every bind (SQLiteStatementCacheTests).
        let columns = "SELECT rowid AS id, device_id, ts, data FROM telemetry"
        return try await store.read { db in
            let query = try db.statement(
                """
                \(columns) WHERE device_id = +?1 AND ts >= +?2 AND ts < +?3
                UNION ALL \(columns) WHERE device_id = +?1 AND ts >= +?4 AND ts < +?5
                UNION ALL \(columns) WHERE rowid > +?6 AND +device_id = +?1 AND +ts >= +?3 AND +ts < +?4
                ORDER BY ts, id
                """)
            query.bind(1, device)
            query.bind(2, from)
            query.bind(3, max(from, covered.lowerBound))
            query.bind(4, min(to, covered.upperBound))
            query.bind(5, to)
            query.bind(6, after)
            return try Self.sourceRows(query)
        }
    }

    /// Called inside the transaction that deleted telemetry: drops the devices' rollups, keeps
    /// the watermark at or below the largest rowid left (SQLite reuses rowids above it) and
    /// voids rollups being computed.
    static func forgetRollups(devices: String, _ binds: [SQLiteData], _ db: SQLiteConnection) async throws {
        _ = try await db.rows("DELETE FROM telemetry_rollup WHERE device_id IN \(devices)", binds)
        _ = try await db.rows(
            """
            UPDATE rollup_state SET generation = generation + 1,
                done = min(done, (SELECT coalesce(max(rowid), 0) FROM telemetry)) WHERE id = 1
            """, [])
    }

    /// The rows of a query selecting (rowid, device_id, ts, data).
    static func sourceRows(_ query: SQLiteStatement) throws -> [RollupSourceRow] {
        var rows: [RollupSourceRow] = []
        try query.forEachRow { row in
            rows.append(
                RollupSourceRow(id: row.int64(0), device: row.int64(1), ts: row.int64(2), data: row.text(3) ?? "{}"))
        }
        return rows
    }
}
