import NIOCore
public import RoostStore
import SQLiteNIO

/// Ingest into SQLite: device registration and group commits of telemetry, status and dead
/// letters. Each batch is one transaction and one job on the direct connection
/// (``SQLiteDirect``), row by row through prepared statements.
public struct SQLiteIngestStore: IngestStore {
    let store: SQLiteStore
    /// Rows per multi-row INSERT (6 parameters each, well under SQLite's 32,766).
    static let chunk = 1_000

    /// Writes through an open store (its migrations create the tables).
    public init(store: SQLiteStore) {
        self.store = store
    }

    /// Three statements per 1,000 devices: tenants, devices, then their ids.
    public func resolveDevices(_ keys: Set<DeviceKey>, now: Int64) async throws -> [DeviceKey: Int64] {
        let db = store.connection
        let list = Array(keys)
        return try await store.transaction {
            var ids: [DeviceKey: Int64] = [:]
            for start in stride(from: 0, to: list.count, by: Self.chunk) {
                let part = list[start..<min(start + Self.chunk, list.count)]
                let tenants = Array(Set(part.map(\.tenant)))
                _ = try await db.rows(
                    "INSERT OR IGNORE INTO tenants (name, created_at) VALUES "
                        + Self.placeholders(rows: tenants.count, columns: 2),
                    tenants.flatMap { [.text($0), .integer(Int(now))] })
                var binds: [SQLiteData] = []
                for key in part { binds += [.text(key.tenant), .text(key.uid)] }
                _ = try await db.rows(
                    """
                    INSERT OR IGNORE INTO devices (tenant_id, uid, created_at)
                    SELECT t.id, v.column2, \(now) FROM (VALUES \(Self.placeholders(rows: part.count, columns: 2))) AS v
                    JOIN tenants t ON t.name = v.column1
                    """, binds)
                let rows = try await db.rows(
                    """
                    SELECT d.id AS id, t.name AS tenant, d.uid AS uid FROM (VALUES \(Self.placeholders(rows: part.count, columns: 2))) AS v
                    JOIN tenants t ON t.name = v.column1 JOIN devices d ON d.tenant_id = t.id AND d.uid = v.column2
                    """, binds)
                for row in rows {
                    if let id = row.column("id")?.integer, let tenant = row.column("tenant")?.string,
                        let uid = row.column("uid")?.string
                    {
                        ids[DeviceKey(tenant: tenant, uid: uid)] = Int64(id)
                    }
                }
            }
            return ids
        }
    }

    public func existingMessageIDs(_ ids: [DeviceMessageID]) async throws -> Set<DeviceMessageID> {
        var found: Set<DeviceMessageID> = []
        for start in stride(from: 0, to: ids.count, by: Self.chunk) {
            let part = ids[start..<min(start + Self.chunk, ids.count)]
            var binds: [SQLiteData] = []
            binds.reserveCapacity(part.count * 2)
            for id in part { binds += [.integer(Int(id.device)), .text(id.msgID)] }
            let rows = try await store.connection.rows(
                "SELECT device_id, msg_id FROM telemetry WHERE (device_id, msg_id) IN (VALUES "
                    + Self.placeholders(rows: part.count, columns: 2) + ")", binds)
            for row in rows {
                if let device = row.column("device_id")?.integer, let msg = row.column("msg_id")?.string {
                    found.insert(DeviceMessageID(device: Int64(device), msgID: msg))
                }
            }
        }
        return found
    }

    public func write(_ batch: IngestBatch) async throws -> IngestResult {
        try await store.directTransaction { db in
            var batch = batch
            // Row by row through one prepared statement. INSERT OR IGNORE skips a repeated
            // (device, msg_id), so a row is new exactly when it changed the table; latest values
            // come from new rows only.
            let insert = try db.statement(
                "INSERT OR IGNORE INTO telemetry (device_id, ts, received_at, msg_id, data, payload) VALUES (?, ?, ?, ?, ?, ?)"
            )
            var inserted: Set<Int> = []
            inserted.reserveCapacity(batch.telemetry.count)
            for position in batch.deviceOrder {
                let r = batch.telemetry[position]
                insert.bind(1, r.device)
                insert.bind(2, r.ts)
                insert.bind(3, r.receivedAt)
                insert.bind(4, r.msgID)
                insert.bind(5, r.data)
                insert.bind(6, r.payload)
                try insert.run()
                if db.changes > 0 { inserted.insert(position) }
            }
            batch.latest.merge(batch.latestValues(inserted: inserted)) { $1 }
            try Self.writeStatuses(batch.statuses, db)
            try Self.writeDeadLetters(batch.deadLetters, db)
            try Self.writeLatest(batch, db)
            return IngestResult(
                inserted: inserted.count, duplicates: batch.telemetry.count - inserted.count, insertedPositions: inserted)
        }
    }

    private static func writeStatuses(_ statuses: [StatusRecord], _ db: SQLiteDirect) throws {
        guard !statuses.isEmpty else { return }
        let event = try db.statement(
            "INSERT INTO status_events (device_id, online, at, reason, document) VALUES (?, ?, ?, ?, ?)")
        for s in statuses {
            event.bind(1, s.device)
            event.bind(2, Int64(s.online ? 1 : 0))
            event.bind(3, s.at)
            event.bind(4, s.reason)
            event.bind(5, s.document)
            try event.run()
        }
        // The newest event per device sets its state; a status document is kept as the latest.
        var newest: [Int64: StatusRecord] = [:]
        for s in statuses where (newest[s.device]?.at ?? .min) <= s.at { newest[s.device] = s }
        let update = try db.statement(
            """
            UPDATE devices SET status = ?2, status_at = ?3, status_doc = coalesce(?4, status_doc)
            WHERE id = ?1 AND coalesce(status_at, 0) <= ?3
            """)
        for s in newest.values {
            update.bind(1, s.device)
            update.bind(2, s.online ? "online" : "offline")
            update.bind(3, s.at)
            update.bind(4, s.document)
            try update.run()
        }
    }

    private static func writeDeadLetters(_ letters: [DeadLetterRecord], _ db: SQLiteDirect) throws {
        guard !letters.isEmpty else { return }
        let insert = try db.statement(
            "INSERT INTO dead_letters (device_id, topic, received_at, reason, detail, payload) VALUES (?, ?, ?, ?, ?, ?)"
        )
        for d in letters {
            insert.bind(1, d.device)
            insert.bind(2, d.topic)
            insert.bind(3, d.receivedAt)
            insert.bind(4, d.reason)
            insert.bind(5, d.detail)
            insert.bind(6, blob: d.payload)
            try insert.run()
        }
    }

    private static func writeLatest(_ batch: IngestBatch, _ db: SQLiteDirect) throws {
        guard !batch.lastSeen.isEmpty else { return }
        // Newer values replace older ones key by key; a message older than the stored latest
        // does not overwrite it.
        let update = try db.statement(
            """
            UPDATE devices SET
                last_seen = max(coalesce(last_seen, 0), ?2),
                latest = CASE WHEN ?3 IS NOT NULL AND ?4 >= coalesce(latest_ts, 0)
                    THEN json_patch(latest, ?3) ELSE latest END,
                latest_ts = CASE WHEN ?4 IS NOT NULL THEN max(coalesce(latest_ts, 0), ?4) ELSE latest_ts END,
                data_version = ?5
            WHERE id = ?1
            """)
        let version = IngestBatch.newDataVersion()
        for (device, seen) in batch.lastSeen {
            let latest = batch.latest[device]
            update.bind(1, device)
            update.bind(2, seen)
            update.bind(3, latest?.data)
            update.bind(4, latest?.ts)
            update.bind(5, version)
            try update.run()
        }
    }

    /// `(?, ?, …), (?, ?, …)` for a multi-row VALUES list.
    static func placeholders(rows: Int, columns: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return Array(repeating: row, count: rows).joined(separator: ", ")
    }
}
