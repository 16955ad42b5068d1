import NIOCore
public import RoostStore
import SQLiteNIO

/// Ingest into SQLite: device registration and group commits of telemetry, status and dead
/// letters, each batch one transaction written with multi-row statements (one round trip to
/// the SQLite thread per up to 1,000 rows instead of one per row).
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
        let db = store.connection
        return try await store.transaction {
            var batch = batch
            // RETURNING names the rows that went in: duplicates are known without a query of
            // their own, and latest values come from new rows only.
            var insertedIDs: Set<DeviceMessageID> = []
            var insertedWithoutID = 0
            let ordered = batch.telemetryByDevice
            for start in stride(from: 0, to: ordered.count, by: Self.chunk) {
                let rows = ordered[start..<min(start + Self.chunk, ordered.count)]
                var binds: [SQLiteData] = []
                binds.reserveCapacity(rows.count * 6)
                for r in rows {
                    binds += [
                        .integer(Int(r.device)), .integer(Int(r.ts)), .integer(Int(r.receivedAt)),
                        r.msgID.map { .text($0) } ?? .null, .text(r.data), r.payload.map { .text($0) } ?? .null,
                    ]
                }
                let sql =
                    "INSERT OR IGNORE INTO telemetry (device_id, ts, received_at, msg_id, data, payload) VALUES "
                    + Self.placeholders(rows: rows.count, columns: 6) + " RETURNING device_id, msg_id"
                for row in try await db.rows(sql, binds) {
                    guard let device = row.column("device_id")?.integer else { continue }
                    if let msg = row.column("msg_id")?.string {
                        insertedIDs.insert(DeviceMessageID(device: Int64(device), msgID: msg))
                    } else {
                        insertedWithoutID += 1
                    }
                }
            }
            let inserted = insertedIDs.count + insertedWithoutID
            if let latestOf = batch.latestFromInserted {
                batch.latest.merge(latestOf(batch.insertedPositions(insertedIDs))) { $1 }
            }
            try await writeStatuses(batch.statuses, db)
            try await writeDeadLetters(batch.deadLetters, db)
            try await writeLatest(batch, db)
            return IngestResult(inserted: inserted, duplicates: batch.telemetry.count - inserted)
        }
    }

    private func writeStatuses(_ statuses: [StatusRecord], _ db: SQLiteConnection) async throws {
        guard !statuses.isEmpty else { return }
        var binds: [SQLiteData] = []
        for s in statuses {
            binds += [
                .integer(Int(s.device)), .integer(s.online ? 1 : 0), .integer(Int(s.at)), .text(s.reason),
                s.document.map { .text($0) } ?? .null,
            ]
        }
        _ = try await db.rows(
            "INSERT INTO status_events (device_id, online, at, reason, document) VALUES "
                + Self.placeholders(rows: statuses.count, columns: 5), binds)
        // The newest event per device sets its state; a status document is kept as the latest.
        var newest: [Int64: StatusRecord] = [:]
        for s in statuses where (newest[s.device]?.at ?? .min) <= s.at { newest[s.device] = s }
        var updates: [SQLiteData] = []
        for s in newest.values {
            updates += [
                .integer(Int(s.device)), .text(s.online ? "online" : "offline"), .integer(Int(s.at)),
                s.document.map { .text($0) } ?? .null,
            ]
        }
        _ = try await db.rows(
            """
            UPDATE devices SET status = v.column2, status_at = v.column3, status_doc = coalesce(v.column4, status_doc)
            FROM (VALUES \(Self.placeholders(rows: newest.count, columns: 4))) AS v
            WHERE devices.id = v.column1 AND coalesce(devices.status_at, 0) <= v.column3
            """, updates)
    }

    private func writeDeadLetters(_ letters: [DeadLetterRecord], _ db: SQLiteConnection) async throws {
        guard !letters.isEmpty else { return }
        var binds: [SQLiteData] = []
        for d in letters {
            binds += [
                d.device.map { .integer(Int($0)) } ?? .null, .text(d.topic), .integer(Int(d.receivedAt)),
                .text(d.reason), .text(d.detail), .blob(ByteBuffer(bytes: d.payload)),
            ]
        }
        _ = try await db.rows(
            "INSERT INTO dead_letters (device_id, topic, received_at, reason, detail, payload) VALUES "
                + Self.placeholders(rows: letters.count, columns: 6), binds)
    }

    private func writeLatest(_ batch: IngestBatch, _ db: SQLiteConnection) async throws {
        guard !batch.lastSeen.isEmpty else { return }
        var binds: [SQLiteData] = []
        for (device, seen) in batch.lastSeen {
            let latest = batch.latest[device]
            binds += [
                .integer(Int(device)), .integer(Int(seen)), latest.map { .text($0.data) } ?? .null,
                latest.map { .integer(Int($0.ts)) } ?? .null,
            ]
        }
        // Newer values replace older ones key by key; a message older than the stored latest
        // does not overwrite it.
        _ = try await db.rows(
            """
            UPDATE devices SET
                last_seen = max(coalesce(last_seen, 0), v.column2),
                latest = CASE WHEN v.column3 IS NOT NULL AND v.column4 >= coalesce(latest_ts, 0)
                    THEN json_patch(latest, v.column3) ELSE latest END,
                latest_ts = CASE WHEN v.column4 IS NOT NULL THEN max(coalesce(latest_ts, 0), v.column4) ELSE latest_ts END
            FROM (VALUES \(Self.placeholders(rows: batch.lastSeen.count, columns: 4))) AS v
            WHERE devices.id = v.column1
            """, binds)
    }

    /// `(?, ?, …), (?, ?, …)` for a multi-row VALUES list.
    static func placeholders(rows: Int, columns: Int) -> String {
        let row = "(" + Array(repeating: "?", count: columns).joined(separator: ", ") + ")"
        return Array(repeating: row, count: rows).joined(separator: ", ")
    }
}
