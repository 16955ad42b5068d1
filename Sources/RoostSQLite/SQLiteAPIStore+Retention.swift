public import RoostStore
import SQLiteNIO

extension SQLiteAPIStore {
    public func deleteTelemetry(tenantID: Int64, before: Int64, rolledUpOnly: Bool, limit: Int) async throws -> Int {
        let db = store.connection
        return try await store.transaction {
            let gone = try await db.rows(
                """
                DELETE FROM telemetry WHERE rowid IN (
                    SELECT t.rowid FROM devices d JOIN telemetry t ON t.device_id = d.id
                    WHERE d.tenant_id = ?1 AND t.ts < ?2
                        AND (?3 = 0 OR t.rowid <= (SELECT done FROM rollup_state WHERE id = 1))
                    LIMIT ?4)
                RETURNING device_id
                """,
                [.integer(Int(tenantID)), .integer(Int(before)), .integer(rolledUpOnly ? 1 : 0), .integer(limit)])
            guard !gone.isEmpty else { return 0 }
            let devices = Set(gone.compactMap { $0.column("device_id")?.integer })
            let marks = Array(repeating: "?", count: devices.count).joined(separator: ",")
            _ = try await db.rows(
                "UPDATE devices SET data_version = random() WHERE id IN (\(marks))", devices.map { .integer($0) })
            // SQLite hands out max(rowid)+1 next: the watermark may not stay above what is left,
            // or new rows would count as rolled up.
            _ = try await db.rows(
                "UPDATE rollup_state SET done = min(done, (SELECT coalesce(max(rowid), 0) FROM telemetry)) WHERE id = 1",
                [])
            return gone.count
        }
    }

    public func deleteRollups(tenantID: Int64, before: Int64, limit: Int) async throws -> Int {
        let db = store.connection
        return try await store.transaction {
            try await db.rows(
                """
                DELETE FROM telemetry_rollup WHERE (device_id, key, minute) IN (
                    SELECT r.device_id, r.key, r.minute FROM devices d JOIN telemetry_rollup r ON r.device_id = d.id
                    WHERE d.tenant_id = ? AND r.minute < ? LIMIT ?)
                RETURNING minute
                """, [.integer(Int(tenantID)), .integer(Int(before)), .integer(limit)]
            ).count
        }
    }

    public func claimLease(_ name: String, holder: String, until: Int64, now: Int64) async throws -> Bool {
        let db = store.connection
        return try await store.transaction {
            try await !db.rows(
                """
                INSERT INTO leases (name, holder, until) VALUES (?1, ?2, ?3)
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, until = excluded.until
                WHERE leases.until < ?4 OR leases.holder = excluded.holder
                RETURNING name
                """, [.text(name), .text(holder), .integer(Int(until)), .integer(Int(now))]
            ).isEmpty
        }
    }
}
