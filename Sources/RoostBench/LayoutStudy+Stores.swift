import Foundation
import Logging
import NIOCore
import PostgresNIO
import RoostPostgres
import RoostSQLite
import SQLiteNIO

/// SQLite candidates: one wide row per message with the flattened leaves as JSON text or as
/// SQLite's binary JSONB, narrow key/value rows beside the message rows, and an unindexed
/// append log compacted into the wide table in device order.
enum SQLiteLayout: String, CaseIterable, CustomStringConvertible {
    case wideText = "wide-json-text"
    case wideJSONB = "wide-jsonb"
    case narrow = "narrow-kv"
    case logCompacted = "log+compaction"
    case clustered = "wide-clustered"

    var description: String { rawValue }
}

struct SQLiteLayoutRun {
    let store: SQLiteStore
    let layout: SQLiteLayout
    let study: LayoutStudy
    static let compactEvery = 50_000

    func run() async throws -> LayoutStudy.Result {
        let db = store.connection
        for t in ["study_t", "study_kv", "study_log"] { _ = try await db.query("DROP TABLE IF EXISTS \(t)", []) }
        let dataType = layout == .wideJSONB ? "BLOB" : "TEXT"
        if layout == .clustered {
            // Rows stored in (device, ts) order: one device's history is a contiguous range.
            _ = try await db.query(
                "CREATE TABLE study_t (device_id INTEGER NOT NULL, ts INTEGER NOT NULL, seq INTEGER NOT NULL, received_at INTEGER NOT NULL, msg_id TEXT, payload TEXT NOT NULL, data TEXT, PRIMARY KEY (device_id, ts, seq)) WITHOUT ROWID",
                [])
            _ = try await db.query("CREATE UNIQUE INDEX study_t_msg ON study_t (device_id, msg_id)", [])
        } else {
            _ = try await db.query(
                "CREATE TABLE study_t (device_id INTEGER NOT NULL, ts INTEGER NOT NULL, received_at INTEGER NOT NULL, msg_id TEXT, payload TEXT NOT NULL, data \(dataType))",
                [])
            _ = try await db.query("CREATE UNIQUE INDEX study_t_msg ON study_t (device_id, msg_id)", [])
            _ = try await db.query("CREATE INDEX study_t_ts ON study_t (device_id, ts)", [])
        }
        if layout == .narrow {
            _ = try await db.query(
                "CREATE TABLE study_kv (device_id INTEGER NOT NULL, key TEXT NOT NULL, ts INTEGER NOT NULL, value REAL NOT NULL)",
                [])
            _ = try await db.query("CREATE INDEX study_kv_key ON study_kv (device_id, key, ts)", [])
        }
        if layout == .logCompacted {
            _ = try await db.query(
                "CREATE TABLE study_log (device_id INTEGER NOT NULL, ts INTEGER NOT NULL, received_at INTEGER NOT NULL, msg_id TEXT, payload TEXT NOT NULL, data TEXT)",
                [])
        }
        let batches = study.batches()
        var pending = 0
        let start = nowNanos()
        for rows in batches {
            try await write(rows)
            pending += rows.count
            if layout == .logCompacted, pending >= Self.compactEvery {
                try await compact()
                pending = 0
            }
        }
        if layout == .logCompacted { try await compact() }
        let seconds = Double(nowNanos() - start) / 1e9
        for rows in study.probeBatches() { try await write(rows) }
        if layout == .logCompacted { try await compact() }
        var timings: [Double] = []
        for _ in 0..<20 { timings.append(try await LayoutStudy.time { try await aggregate() }) }
        var history: [Double] = []
        for _ in 0..<20 {
            history.append(
                try await LayoutStudy.time {
                    let rows = try await db.query(
                        "SELECT ts, received_at, msg_id, data FROM study_t WHERE device_id = ? ORDER BY ts DESC LIMIT 1000",
                        [.integer(LayoutStudy.probeDevice)])
                    precondition(rows.count == 1000)
                })
        }
        print(
            "# sqlite \(layout): newest 1,000 points of one device p50 \(String(format: "%.2f", history.sorted()[10])) ms"
        )
        var bytes: Int64 = 0
        if let row = try await db.query(
            "SELECT sum(pgsize) AS b FROM dbstat WHERE name IN ('study_t','study_t_msg','study_t_ts','study_kv','study_kv_key')",
            []
        ).first, let b = row.column("b")?.integer {
            bytes = Int64(b)
        }
        for t in ["study_t", "study_kv", "study_log"] { _ = try await db.query("DROP TABLE IF EXISTS \(t)", []) }
        return LayoutStudy.summarize(written: study.rows, seconds: seconds, timings: timings, bytes: bytes)
    }

    private func write(_ rows: [LayoutStudy.Row]) async throws {
        let db = store.connection
        let table = layout == .logCompacted ? "study_log" : "study_t"
        let dataValue = layout == .wideJSONB ? "jsonb(?)" : "?"
        let row = layout == .clustered ? "(?, ?, ?, ?, ?, ?, ?)" : "(?, ?, ?, ?, ?, \(dataValue))"
        try await store.transaction {
            for start in stride(from: 0, to: rows.count, by: 1_000) {
                let part = rows[start..<min(start + 1_000, rows.count)]
                var binds: [SQLiteData] = []
                binds.reserveCapacity(part.count * 6)
                for r in part {
                    binds += [.integer(r.device), .integer(Int(r.ts))]
                    if layout == .clustered { binds.append(.integer(Int(r.msgID.dropFirst(2)) ?? 0)) }
                    binds += [.integer(Int(r.ts)), .text(r.msgID), .text(r.payload)]
                    binds.append(layout == .narrow ? .null : .text(r.data))
                }
                _ = try await db.query(
                    "INSERT OR IGNORE INTO \(table) VALUES "
                        + Array(repeating: row, count: part.count).joined(separator: ","), binds)
                if layout == .narrow {
                    var kv: [SQLiteData] = []
                    for r in part {
                        for (k, v) in r.numeric {
                            kv += [.integer(r.device), .text(k), .integer(Int(r.ts)), .float(v)]
                        }
                    }
                    _ = try await db.query(
                        "INSERT INTO study_kv VALUES "
                            + Array(repeating: "(?, ?, ?, ?)", count: kv.count / 4).joined(separator: ","), kv)
                }
            }
        }
    }

    private func compact() async throws {
        let db = store.connection
        try await store.transaction {
            _ = try await db.query("INSERT OR IGNORE INTO study_t SELECT * FROM study_log ORDER BY device_id, ts", [])
            _ = try await db.query("DELETE FROM study_log", [])
        }
    }

    private func aggregate() async throws {
        let from = Int(1_750_000_000_000)
        let to = from + Int(LayoutStudy.day)
        let device = SQLiteData.integer(LayoutStudy.probeDevice)
        let rows: [SQLiteRow]
        if layout == .narrow {
            rows = try await store.connection.query(
                """
                SELECT key, ts / 60000 AS b, avg(value), min(value), max(value), count(value) FROM study_kv
                WHERE device_id = ? AND key IN ('temp', 'battery') AND ts >= ? AND ts < ? GROUP BY key, b
                """, [device, .integer(from), .integer(to)])
        } else {
            rows = try await store.connection.query(
                """
                SELECT ts / 60000 AS b, avg(t), min(t), max(t), count(t), avg(x), min(x), max(x), count(x) FROM (
                    SELECT ts, data ->> '$.temp' AS t, data ->> '$.battery' AS x FROM study_t
                    WHERE device_id = ? AND ts >= ? AND ts < ?) GROUP BY b
                """, [device, .integer(from), .integer(to)])
        }
        precondition(!rows.isEmpty, "aggregate returned nothing")
    }
}

/// PostgreSQL candidates: wide rows with JSONB leaves, and narrow key/value rows beside them.
enum PostgresLayout: String, CaseIterable, CustomStringConvertible {
    case wideJSONB = "wide-jsonb"
    case narrow = "narrow-kv"

    var description: String { rawValue }
}

struct PostgresLayoutRun {
    let client: PostgresClient
    let layout: PostgresLayout
    let study: LayoutStudy
    let logger = Logger(label: "study")

    func run() async throws -> LayoutStudy.Result {
        try await client.query("DROP TABLE IF EXISTS study_t, study_kv", logger: logger)
        try await client.query(
            "CREATE TABLE study_t (device_id BIGINT NOT NULL, ts BIGINT NOT NULL, received_at BIGINT NOT NULL, msg_id TEXT, payload TEXT NOT NULL, data JSONB)",
            logger: logger)
        try await client.query("CREATE UNIQUE INDEX study_t_msg ON study_t (device_id, msg_id)", logger: logger)
        try await client.query("CREATE INDEX study_t_ts ON study_t (device_id, ts)", logger: logger)
        if layout == .narrow {
            try await client.query(
                "CREATE TABLE study_kv (device_id BIGINT NOT NULL, key TEXT NOT NULL, ts BIGINT NOT NULL, value DOUBLE PRECISION NOT NULL)",
                logger: logger)
            try await client.query("CREATE INDEX study_kv_key ON study_kv (device_id, key, ts)", logger: logger)
        }
        let start = nowNanos()
        for rows in study.batches() { try await write(rows) }
        let seconds = Double(nowNanos() - start) / 1e9
        for rows in study.probeBatches() { try await write(rows) }
        try await client.query("ANALYZE study_t", logger: logger)
        if layout == .narrow { try await client.query("ANALYZE study_kv", logger: logger) }
        var timings: [Double] = []
        for _ in 0..<20 { timings.append(try await LayoutStudy.time { try await aggregate() }) }
        var bytes: Int64 = 0
        let sizeSQL: PostgresQuery =
            layout == .narrow
            ? "SELECT (pg_total_relation_size('study_t') + pg_total_relation_size('study_kv'))::bigint"
            : "SELECT pg_total_relation_size('study_t')::bigint"
        for try await b in try await client.query(sizeSQL, logger: logger).decode(Int64.self) { bytes = b }
        try await client.query("DROP TABLE IF EXISTS study_t, study_kv", logger: logger)
        return LayoutStudy.summarize(written: study.rows, seconds: seconds, timings: timings, bytes: bytes)
    }

    private func write(_ rows: [LayoutStudy.Row]) async throws {
        try await client.withTransaction(logger: logger) { conn in
            try await conn.copyFrom(
                table: "study_t", columns: ["device_id", "ts", "received_at", "msg_id", "payload", "data"],
                logger: logger
            ) {
                writer in
                var buffer = ByteBuffer()
                for r in rows {
                    buffer.writeString(
                        "\(r.device)\t\(r.ts)\t\(r.ts)\t\(r.msgID)\t\(r.payload)\t\(layout == .narrow ? "\\N" : r.data)\n"
                    )
                }
                try await writer.write(buffer)
            }
            if layout == .narrow {
                try await conn.copyFrom(
                    table: "study_kv", columns: ["device_id", "key", "ts", "value"], logger: logger
                ) { writer in
                    var buffer = ByteBuffer()
                    for r in rows {
                        for (k, v) in r.numeric { buffer.writeString("\(r.device)\t\(k)\t\(r.ts)\t\(v)\n") }
                    }
                    try await writer.write(buffer)
                }
            }
        }
    }

    private func aggregate() async throws {
        let from = Int64(1_750_000_000_000)
        let to = from + LayoutStudy.day
        let device = Int64(LayoutStudy.probeDevice)
        let query: PostgresQuery =
            layout == .narrow
            ? """
            SELECT key, ts / 60000 AS b, avg(value), min(value), max(value), count(value) FROM study_kv
            WHERE device_id = \(device) AND key IN ('temp', 'battery') AND ts >= \(from) AND ts < \(to) GROUP BY key, b
            """
            : """
            SELECT b, avg(t), min(t), max(t), count(t), avg(x), min(x), max(x), count(x) FROM (
                SELECT ts / 60000 AS b, (data ->> 'temp')::float8 AS t, (data ->> 'battery')::float8 AS x FROM study_t
                WHERE device_id = \(device) AND ts >= \(from) AND ts < \(to)) s GROUP BY b
            """
        var n = 0
        for try await _ in try await client.query(query, logger: logger) { n += 1 }
        precondition(n > 0, "aggregate returned nothing")
    }
}
