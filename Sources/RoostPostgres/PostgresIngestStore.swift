import Logging
import NIOCore
import PostgresNIO
public import RoostStore

/// Ingest into PostgreSQL. Telemetry goes in with `COPY … FROM STDIN` (the fastest path
/// PostgreSQL has); if another node stored one of the batch's message ids meanwhile, COPY fails
/// on the unique index and the batch is written again with `INSERT … ON CONFLICT DO NOTHING`.
public struct PostgresIngestStore: IngestStore {
    let store: PostgresStore

    /// Writes through a running store (its migrations create the tables).
    public init(store: PostgresStore) {
        self.store = store
    }

    /// Three statements whatever the number of devices: tenants, devices, then their ids.
    public func resolveDevices(_ keys: Set<DeviceKey>, now: Int64) async throws -> [DeviceKey: Int64] {
        guard !keys.isEmpty else { return [:] }
        let logger = store.logger
        let list = Array(keys)
        let tenants = list.map(\.tenant)
        let uids = list.map(\.uid)
        return try await store.client.withTransaction(logger: logger) { conn in
            try await conn.query(
                """
                INSERT INTO tenants (name, created_at) SELECT DISTINCT t, \(now) FROM unnest(\(tenants)::text[]) AS u(t)
                ON CONFLICT (name) DO NOTHING
                """, logger: logger)
            try await conn.query(
                """
                INSERT INTO devices (tenant_id, uid, created_at)
                SELECT t.id, u.uid, \(now) FROM unnest(\(tenants)::text[], \(uids)::text[]) AS u(tenant, uid)
                JOIN tenants t ON t.name = u.tenant
                ON CONFLICT (tenant_id, uid) DO NOTHING
                """, logger: logger)
            let rows = try await conn.query(
                """
                SELECT d.id, t.name, d.uid FROM unnest(\(tenants)::text[], \(uids)::text[]) AS u(tenant, uid)
                JOIN tenants t ON t.name = u.tenant JOIN devices d ON d.tenant_id = t.id AND d.uid = u.uid
                """, logger: logger)
            var ids: [DeviceKey: Int64] = [:]
            for try await (id, tenant, uid) in rows.decode((Int64, String, String).self) {
                ids[DeviceKey(tenant: tenant, uid: uid)] = id
            }
            return ids
        }
    }

    public func existingMessageIDs(_ ids: [DeviceMessageID]) async throws -> Set<DeviceMessageID> {
        guard !ids.isEmpty else { return [] }
        let devices = ids.map(\.device)
        let msgIDs = ids.map(\.msgID)
        let rows = try await store.client.query(
            """
            SELECT t.device_id, t.msg_id FROM telemetry t
            JOIN unnest(\(devices)::bigint[], \(msgIDs)::text[]) AS k(device_id, msg_id)
              ON t.device_id = k.device_id AND t.msg_id = k.msg_id
            """, logger: store.logger)
        var found: Set<DeviceMessageID> = []
        for try await (device, msg) in rows.decode((Int64, String).self) {
            found.insert(DeviceMessageID(device: device, msgID: msg))
        }
        return found
    }

    public func write(_ batch: IngestBatch) async throws -> IngestResult {
        do {
            return try await write(batch, copy: true)
        } catch  where Self.isUniqueViolation(error) {
            // A message id stored by another node since the duplicate check: take the slow path.
            return try await write(batch, copy: false)
        }
    }

    static func isUniqueViolation(_ error: any Error) -> Bool {
        if let e = error as? PSQLError { return e.serverInfo?[.sqlState] == "23505" }
        if let e = error as? PostgresTransactionError, let inner = e.closureError { return isUniqueViolation(inner) }
        return false
    }

    private func write(_ batch: IngestBatch, copy: Bool) async throws -> IngestResult {
        let logger = store.logger
        return try await store.client.withTransaction(logger: logger) { conn in
            var batch = batch
            var insertedIDs: Set<DeviceMessageID> = []
            var inserted = batch.telemetry.count
            if !batch.telemetry.isEmpty {
                // The transaction id comes before the first row id: rollups rely on it to know
                // which ids may still be uncommitted (PostgresAPIStore.rollupSafeHead).
                try await conn.query("SELECT pg_current_xact_id()", logger: logger)
                if copy {
                    // COPY either stores every row or fails on a duplicate (then the slow path runs).
                    try await Self.copyTelemetry(batch.telemetryByDevice, conn, logger)
                    for r in batch.telemetry {
                        if let m = r.msgID { insertedIDs.insert(DeviceMessageID(device: r.device, msgID: m)) }
                    }
                } else {
                    let (ids, withoutID) = try await Self.insertTelemetry(batch.telemetryByDevice, conn, logger)
                    insertedIDs = ids
                    inserted = ids.count + withoutID
                }
            }
            let positions = batch.insertedPositions(insertedIDs)
            batch.latest.merge(batch.latestValues(inserted: positions)) { $1 }
            // Device rows are locked in id order before any update: concurrent writers (of
            // this node or others) then never wait on each other in a cycle.
            let touched = Set(batch.lastSeen.keys).union(batch.statuses.map(\.device)).sorted()
            if !touched.isEmpty {
                try await conn.query(
                    "SELECT id FROM devices WHERE id = ANY(\(touched)) ORDER BY id FOR UPDATE", logger: logger)
            }
            try await Self.writeStatuses(batch.statuses, conn, logger)
            for d in batch.deadLetters {
                try await conn.query(
                    """
                    INSERT INTO dead_letters (device_id, topic, received_at, reason, detail, payload)
                    VALUES (\(d.device), \(d.topic), \(d.receivedAt), \(d.reason), \(d.detail), \(ByteBuffer(bytes: d.payload)))
                    """, logger: logger)
            }
            try await Self.writeLatest(batch, conn, logger)
            return IngestResult(
                inserted: inserted, duplicates: batch.telemetry.count - inserted, insertedPositions: positions)
        }
    }

    /// COPY in text format: tab-separated, `\N` for NULL, backslash escapes.
    private static func copyTelemetry(_ rows: [TelemetryRecord], _ conn: PostgresConnection, _ logger: Logger)
        async throws
    {
        try await conn.copyFrom(
            table: "telemetry", columns: ["device_id", "ts", "received_at", "msg_id", "data", "payload"], logger: logger
        ) {
            writer in
            var buffer = ByteBuffer()
            buffer.reserveCapacity(64 * 1024)
            for r in rows {
                writeInteger(r.device, to: &buffer)
                buffer.writeInteger(UInt8(ascii: "\t"))
                writeInteger(r.ts, to: &buffer)
                buffer.writeInteger(UInt8(ascii: "\t"))
                writeInteger(r.receivedAt, to: &buffer)
                buffer.writeInteger(UInt8(ascii: "\t"))
                if let msg = r.msgID { writeEscaped(msg, to: &buffer) } else { buffer.writeString("\\N") }
                buffer.writeInteger(UInt8(ascii: "\t"))
                writeEscaped(r.data, to: &buffer)
                buffer.writeInteger(UInt8(ascii: "\t"))
                if let payload = r.payload { writeEscaped(payload, to: &buffer) } else { buffer.writeString("\\N") }
                buffer.writeInteger(UInt8(ascii: "\n"))
                if buffer.readableBytes > 60 * 1024 {
                    try await writer.write(buffer)
                    buffer.clear()
                }
            }
            if buffer.readableBytes > 0 { try await writer.write(buffer) }
        }
    }

    /// Decimal digits of `n`, written in place.
    static func writeInteger(_ n: Int64, to buffer: inout ByteBuffer) {
        var magnitude = n.magnitude
        var length = n < 0 ? 2 : 1
        while magnitude >= 10 {
            magnitude /= 10
            length += 1
        }
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: length) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            var v = n.magnitude
            var i = length - 1
            repeat {
                p[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
                v /= 10
                i -= 1
            } while v > 0
            if n < 0 { p[0] = UInt8(ascii: "-") }
            return length
        }
    }

    static func writeEscaped(_ text: String, to buffer: inout ByteBuffer) {
        // Most text needs no escape: one copy (a write per byte showed in ingest profiles).
        var text = text
        let plain = text.withUTF8 { utf8 in
            guard !utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 < 0x20 }) else { return false }
            buffer.writeBytes(utf8)
            return true
        }
        if plain { return }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            default: buffer.writeInteger(byte)
            }
        }
    }

    /// INSERT … ON CONFLICT DO NOTHING; returns the message ids inserted and the count of
    /// inserted rows without one.
    private static func insertTelemetry(_ rows: [TelemetryRecord], _ conn: PostgresConnection, _ logger: Logger)
        async throws
        -> (Set<DeviceMessageID>, Int)
    {
        let result = try await conn.query(
            """
            INSERT INTO telemetry (device_id, ts, received_at, msg_id, data, payload)
            SELECT d, t, r, NULLIF(m, ''), x::jsonb, NULLIF(p, '') FROM unnest(
                \(rows.map(\.device))::bigint[], \(rows.map(\.ts))::bigint[], \(rows.map(\.receivedAt))::bigint[],
                \(rows.map { $0.msgID ?? "" })::text[], \(rows.map(\.data))::text[], \(rows.map { $0.payload ?? "" })::text[])
                AS u(d, t, r, m, x, p)
            ON CONFLICT DO NOTHING
            RETURNING device_id, msg_id
            """, logger: logger)
        var ids: Set<DeviceMessageID> = []
        var withoutID = 0
        for try await (device, msg) in result.decode((Int64, String?).self) {
            if let msg { ids.insert(DeviceMessageID(device: device, msgID: msg)) } else { withoutID += 1 }
        }
        return (ids, withoutID)
    }

    private static func writeStatuses(_ statuses: [StatusRecord], _ conn: PostgresConnection, _ logger: Logger)
        async throws
    {
        guard !statuses.isEmpty else { return }
        try await conn.query(
            """
            INSERT INTO status_events (device_id, online, at, reason, document)
            SELECT d, o, a, r, NULLIF(x, '')::jsonb FROM unnest(
                \(statuses.map(\.device))::bigint[], \(statuses.map(\.online))::boolean[], \(statuses.map(\.at))::bigint[],
                \(statuses.map(\.reason))::text[], \(statuses.map { $0.document ?? "" })::text[]) AS u(d, o, a, r, x)
            """, logger: logger)
        var newest: [Int64: StatusRecord] = [:]
        for s in statuses where (newest[s.device]?.at ?? .min) <= s.at { newest[s.device] = s }
        let latest = Array(newest.values)
        try await conn.query(
            """
            UPDATE devices SET status = CASE WHEN u.o THEN 'online' ELSE 'offline' END, status_at = u.a,
                status_doc = coalesce(NULLIF(u.x, '')::jsonb, devices.status_doc)
            FROM unnest(\(latest.map(\.device))::bigint[], \(latest.map(\.online))::boolean[], \(latest.map(\.at))::bigint[],
                \(latest.map { $0.document ?? "" })::text[]) AS u(d, o, a, x)
            WHERE devices.id = u.d AND coalesce(devices.status_at, 0) <= u.a
            """, logger: logger)
    }

    private static func writeLatest(_ batch: IngestBatch, _ conn: PostgresConnection, _ logger: Logger) async throws {
        guard !batch.lastSeen.isEmpty else { return }
        let devices = Array(batch.lastSeen.keys).sorted()
        let seen = devices.map { batch.lastSeen[$0]! }
        let data = devices.map { batch.latest[$0]?.data ?? "" }
        let ts = devices.map { batch.latest[$0]?.ts ?? -1 }
        let version = IngestBatch.newDataVersion()
        // Rows in id order: concurrent nodes updating the same devices lock them in one order.
        try await conn.query(
            """
            UPDATE devices SET
                last_seen = greatest(coalesce(last_seen, 0), u.s),
                latest = CASE WHEN u.x <> '' AND u.t >= coalesce(latest_ts, 0) THEN latest || u.x::jsonb ELSE latest END,
                latest_ts = CASE WHEN u.t >= 0 THEN greatest(coalesce(latest_ts, 0), u.t) ELSE latest_ts END,
                data_version = \(version)
            FROM unnest(\(devices)::bigint[], \(seen)::bigint[], \(data)::text[], \(ts)::bigint[]) AS u(d, s, x, t)
            WHERE devices.id = u.d
            """, logger: logger)
    }
}
