public import RoostStore
import SQLiteNIO

extension SQLiteAPIStore {
    static let commandColumns = """
        c.seq AS seq, c.id AS id, c.device_id AS device_id, d.tenant_id AS tenant_id, t.name AS tenant, d.uid AS uid,
        c.command AS command, c.params AS params, c.status AS status, c.result AS result, c.created_by AS created_by,
        c.created_at AS created_at, c.updated_at AS updated_at, c.sent_at AS sent_at, c.delivered_at AS delivered_at,
        c.completed_at AS completed_at, c.expires_at AS expires_at
        """
    static let commandFrom = "commands c JOIN devices d ON d.id = c.device_id JOIN tenants t ON t.id = d.tenant_id"

    public func createCommand(_ command: NewCommand, maxQueued: Int) async throws -> CommandRecord {
        let db = store.connection
        let device = SQLiteData.integer(Int(command.deviceID))
        let row = try await store.transaction {
            guard try await !db.rows("SELECT 1 FROM devices WHERE id = ?", [device]).isEmpty else {
                throw StoreError.notFound("device \(command.deviceID)")
            }
            let queued =
                try await db.rows(
                    "SELECT count(*) AS n FROM commands WHERE device_id = ? AND status = 'queued'", [device]
                ).first?.column("n")?.integer ?? 0
            guard queued < maxQueued else {
                throw StoreError.limitReached("the device has \(queued) queued commands (the most is \(maxQueued))")
            }
            _ = try await db.rows(
                """
                INSERT INTO commands (id, device_id, command, params, status, created_by, created_at, updated_at, expires_at)
                VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?)
                """,
                [
                    .text(command.id), device, .text(command.command), .text(command.params), command.createdBy.sqlite,
                    .integer(Int(command.createdAt)), .integer(Int(command.createdAt)), .integer(Int(command.expiresAt)),
                ])
            return try await db.rows(
                "SELECT \(Self.commandColumns) FROM \(Self.commandFrom) WHERE c.id = ?", [.text(command.id)]
            ).first
        }
        guard let row, let record = Self.command(row) else { throw StoreError.notFound("command") }
        return record
    }

    public func command(id: String) async throws -> CommandRecord? {
        try await store.reader.rows(
            "SELECT \(Self.commandColumns) FROM \(Self.commandFrom) WHERE c.id = ?", [.text(id)]
        ).first.flatMap(Self.command)
    }

    public func commands(_ query: CommandQuery) async throws -> [CommandRecord] {
        var sql = "SELECT \(Self.commandColumns) FROM \(Self.commandFrom) WHERE c.device_id = ?"
        var binds: [SQLiteData] = [.integer(Int(query.deviceID))]
        if let status = query.status {
            sql += " AND c.status = ?"
            binds.append(.text(status.rawValue))
        }
        if let before = query.beforeSeq {
            sql += " AND c.seq < ?"
            binds.append(.integer(Int(before)))
        }
        sql += " ORDER BY c.seq DESC LIMIT ?"
        binds.append(.integer(query.limit))
        return try await store.reader.rows(sql, binds).compactMap(Self.command)
    }

    public func transitionCommand(_ transition: CommandTransition) async throws -> CommandRecord? {
        guard !transition.from.isEmpty else { return nil }
        let db = store.connection
        let marks = Array(repeating: "?", count: transition.from.count).joined(separator: ", ")
        let at = SQLiteData.integer(Int(transition.at))
        let to = transition.to
        let row = try await store.transaction {
            let changed = try await db.rows(
                """
                UPDATE commands SET status = ?, updated_at = ?,
                    sent_at = CASE WHEN ? = 'sent' THEN ? WHEN ? = 'queued' THEN NULL ELSE sent_at END,
                    delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END,
                    completed_at = CASE WHEN ? THEN ? ELSE completed_at END,
                    result = CASE WHEN ? THEN ? ELSE result END
                WHERE id = ? AND status IN (\(marks)) RETURNING seq
                """,
                [
                    .text(to.rawValue), at, .text(to.rawValue), at, .text(to.rawValue), .text(to.rawValue), at,
                    .integer(to.isFinal ? 1 : 0), at, .integer(transition.result != nil ? 1 : 0),
                    transition.result.sqlite, .text(transition.id),
                ] + transition.from.map { .text($0.rawValue) })
            guard !changed.isEmpty else { return nil as SQLiteRow? }
            return try await db.rows(
                "SELECT \(Self.commandColumns) FROM \(Self.commandFrom) WHERE c.id = ?", [.text(transition.id)]
            ).first
        }
        return row.flatMap(Self.command)
    }

    public func queuedCommands(device: DeviceKey?, limit: Int) async throws -> [CommandRecord] {
        var sql = "SELECT \(Self.commandColumns) FROM \(Self.commandFrom) WHERE c.status = 'queued'"
        var binds: [SQLiteData] = []
        if let device {
            sql += " AND t.name = ? AND d.uid = ?"
            binds += [.text(device.tenant), .text(device.uid)]
        }
        sql += " ORDER BY c.seq LIMIT ?"
        binds.append(.integer(limit))
        return try await store.reader.rows(sql, binds).compactMap(Self.command)
    }

    public func expireCommands(now: Int64, limit: Int) async throws -> [CommandRecord] {
        let db = store.connection
        let rows = try await store.transaction {
            let expired = try await db.rows(
                """
                UPDATE commands SET status = 'expired', updated_at = ?1, completed_at = ?1
                WHERE seq IN (
                    SELECT seq FROM commands WHERE status IN ('queued', 'sent', 'delivered') AND expires_at <= ?1
                    ORDER BY expires_at LIMIT ?2)
                RETURNING seq
                """,
                [.integer(Int(now)), .integer(limit)])
            let seqs = expired.compactMap { $0.column("seq")?.integer }
            guard !seqs.isEmpty else { return [SQLiteRow]() }
            let marks = Array(repeating: "?", count: seqs.count).joined(separator: ", ")
            return try await db.rows(
                "SELECT \(Self.commandColumns) FROM \(Self.commandFrom) WHERE c.seq IN (\(marks)) ORDER BY c.seq",
                seqs.map { .integer($0) })
        }
        return rows.compactMap(Self.command)
    }

    static func command(_ row: SQLiteRow) -> CommandRecord? {
        func int(_ name: String) -> Int64? { row.column(name)?.integer.map(Int64.init) }
        guard let seq = int("seq"), let id = row.column("id")?.string, let device = int("device_id"),
            let tenantID = int("tenant_id"), let tenant = row.column("tenant")?.string,
            let uid = row.column("uid")?.string, let command = row.column("command")?.string,
            let status = row.column("status")?.string.flatMap(CommandStatus.init(rawValue:)),
            let created = int("created_at"), let updated = int("updated_at"), let expires = int("expires_at")
        else { return nil }
        return CommandRecord(
            id: id, seq: seq, deviceID: device, tenantID: tenantID, tenant: tenant, uid: uid, command: command,
            params: row.column("params")?.string ?? "{}", status: status, result: row.column("result")?.string,
            createdBy: row.column("created_by")?.string, createdAt: created, updatedAt: updated,
            sentAt: int("sent_at"), deliveredAt: int("delivered_at"), completedAt: int("completed_at"),
            expiresAt: expires)
    }
}
