public import RoostStore
import SQLiteNIO

extension SQLiteAPIStore {
    public func rollupWatermark() async throws -> RollupWatermark {
        let row = try await store.reader.rows(
            """
            SELECT s.done AS done, s.generation AS generation, (SELECT coalesce(max(rowid), 0) FROM telemetry) AS head
            FROM rollup_state s WHERE s.id = 1
            """, []
        ).first
        return RollupWatermark(
            done: Int64(row?.column("done")?.integer ?? 0), generation: Int64(row?.column("generation")?.integer ?? 0),
            head: Int64(row?.column("head")?.integer ?? 0))
    }

    public func rollupSafeHead(_ mark: RollupWatermark) async throws -> Int64 {
        // One writer takes turns with every other, so every rowid up to the largest visible
        // one (the watermark's head) is committed.
        mark.head
    }

    public func rollupSource(after: Int64, through: Int64) async throws -> [RollupSourceRow] {
        try await store.reader.rows(
            "SELECT rowid AS id, device_id, ts, data FROM telemetry WHERE rowid > ? AND rowid <= ? ORDER BY rowid",
            [.integer(Int(after)), .integer(Int(through))]
        ).compactMap(Self.sourceRow)
    }

    public func writeRollups(_ cells: [(key: RollupKey, cell: RollupCell)], read: RollupWatermark, through: Int64)
        async throws
        -> Bool
    {
        let db = store.connection
        return try await store.transaction {
            let state = try await db.rows("SELECT done, generation FROM rollup_state WHERE id = 1", []).first
            guard state?.column("done")?.integer == Int(read.done),
                state?.column("generation")?.integer == Int(read.generation)
            else { return false }
            // 11 values a cell, at most 32,766 per statement.
            var start = 0
            while start < cells.count {
                let chunk = cells[start..<min(start + 2_000, cells.count)]
                start += chunk.count
                var binds: [SQLiteData] = []
                binds.reserveCapacity(chunk.count * 11)
                for (k, c) in chunk {
                    binds += [
                        .integer(Int(k.device)), .text(k.key), .integer(Int(k.minute)), .integer(Int(c.count)),
                        .float(c.sum), .float(c.min), .float(c.max), .integer(Int(c.firstTS)), .float(c.first),
                        .integer(Int(c.lastTS)), .float(c.last),
                    ]
                }
                let values = Array(repeating: "(?,?,?,?,?,?,?,?,?,?,?)", count: chunk.count).joined(separator: ",")
                _ = try await db.rows(
                    """
                    INSERT INTO telemetry_rollup (device_id, key, minute, n, total, lo, hi, first_ts, first_v, last_ts, last_v)
                    VALUES \(values)
                    ON CONFLICT (device_id, key, minute) DO UPDATE SET
                        n = n + excluded.n, total = total + excluded.total,
                        lo = min(lo, excluded.lo), hi = max(hi, excluded.hi),
                        first_v = CASE WHEN excluded.first_ts < first_ts THEN excluded.first_v ELSE first_v END,
                        first_ts = min(first_ts, excluded.first_ts),
                        last_v = CASE WHEN excluded.last_ts >= last_ts THEN excluded.last_v ELSE last_v END,
                        last_ts = max(last_ts, excluded.last_ts)
                    """, binds)
            }
            _ = try await db.rows("UPDATE rollup_state SET done = ? WHERE id = 1", [.integer(Int(through))])
            return true
        }
    }

    public func rollups(
        device: Int64, keys: [String], from: Int64, to: Int64, functions: [AggregateFunction]
    ) async throws -> [(key: String, minute: Int64, cell: RollupCell)] {
        // Only the columns the functions need, one key at a time: sqlite-nio's cost is per row
        // and column, and a day of minutes is ~1,440 rows a key.
        let f = Set(functions)
        let n = !f.isDisjoint(with: [.count, .avg]), total = !f.isDisjoint(with: [.sum, .avg])
        let (lo, hi, first, last) = (f.contains(.min), f.contains(.max), f.contains(.first), f.contains(.last))
        var columns = ["minute"]
        if n { columns.append("n") }
        if total { columns.append("total") }
        if lo { columns.append("lo") }
        if hi { columns.append("hi") }
        if first { columns += ["first_ts", "first_v"] }
        if last { columns += ["last_ts", "last_v"] }
        let sql = """
            SELECT \(columns.joined(separator: ", ")) FROM telemetry_rollup
            WHERE device_id = ? AND key = ? AND minute >= ? AND minute < ?
            """
        var cells: [(key: String, minute: Int64, cell: RollupCell)] = []
        for key in keys {
            let rows = try await store.reader.rows(
                sql, [.integer(Int(device)), .text(key), .integer(Int(from)), .integer(Int(to))])
            cells.reserveCapacity(cells.count + rows.count)
            for row in rows {
                let c = row.columns
                guard c.count == columns.count, let minute = c[0].data.integer else { continue }
                var i = 1
                func next() -> SQLiteData {
                    defer { i += 1 }
                    return c[i].data
                }
                var cell = RollupCell(count: 1, sum: 0, min: 0, max: 0, firstTS: 0, first: 0, lastTS: 0, last: 0)
                if n { cell.count = Int64(next().integer ?? 0) }
                if total { cell.sum = next().double ?? 0 }
                if lo { cell.min = next().double ?? 0 }
                if hi { cell.max = next().double ?? 0 }
                if first { (cell.firstTS, cell.first) = (Int64(next().integer ?? 0), next().double ?? 0) }
                if last { (cell.lastTS, cell.last) = (Int64(next().integer ?? 0), next().double ?? 0) }
                cells.append((key, Int64(minute), cell))
            }
        }
        return cells
    }

    public func rollupTail(device: Int64, from: Int64, to: Int64, covered: Range<Int64>, after: Int64) async throws
        -> [RollupSourceRow]
    {
        // The partial minutes at both ends through the (device_id, ts) index; rows stored since
        // the watermark through the rowid (`+` keeps SQLite off the index there: the rows after
        // the watermark are few, the device's rows in the range are many).
        let columns = "SELECT rowid AS id, device_id, ts, data FROM telemetry"
        return try await store.reader.rows(
            """
            \(columns) WHERE device_id = ?1 AND ts >= ?2 AND ts < ?3
            UNION ALL \(columns) WHERE device_id = ?1 AND ts >= ?4 AND ts < ?5
            UNION ALL \(columns) WHERE rowid > ?6 AND +device_id = ?1 AND +ts >= ?3 AND +ts < ?4
            ORDER BY ts, id
            """,
            [
                .integer(Int(device)), .integer(Int(from)), .integer(Int(max(from, covered.lowerBound))),
                .integer(Int(min(to, covered.upperBound))), .integer(Int(to)), .integer(Int(after)),
            ]
        ).compactMap(Self.sourceRow)
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

    static func sourceRow(_ row: SQLiteRow) -> RollupSourceRow? {
        let c = row.columns
        guard c.count == 4, let id = c[0].data.integer, let device = c[1].data.integer, let ts = c[2].data.integer
        else { return nil }
        return RollupSourceRow(id: Int64(id), device: Int64(device), ts: Int64(ts), data: c[3].data.string ?? "{}")
    }
}
