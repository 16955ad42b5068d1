import PostgresNIO
public import RoostStore

extension PostgresAPIStore {
    static let commandColumns = """
        c.seq, c.id, c.device_id, d.tenant_id, t.name, d.uid, c.command, c.params::text, c.status, c.result::text,
        c.created_by, c.created_at, c.updated_at, c.sent_at, c.delivered_at, c.completed_at, c.expires_at
        """
    static let commandFrom = "commands c JOIN devices d ON d.id = c.device_id JOIN tenants t ON t.id = d.tenant_id"

    typealias CommandRow = (
        Int64, String, Int64, Int64, String, String, String, String, String, String?, String?, Int64, Int64, Int64?,
        Int64?, Int64?, Int64
    )

    static func command(_ r: CommandRow) -> CommandRecord? {
        guard let status = CommandStatus(rawValue: r.8) else { return nil }
        return CommandRecord(
            id: r.1, seq: r.0, deviceID: r.2, tenantID: r.3, tenant: r.4, uid: r.5, command: r.6, params: r.7,
            status: status, result: r.9, createdBy: r.10, createdAt: r.11, updatedAt: r.12, sentAt: r.13,
            deliveredAt: r.14, completedAt: r.15, expiresAt: r.16)
    }

    func commands(_ query: PostgresQuery, on connection: PostgresConnection? = nil) async throws -> [CommandRecord] {
        var result: [CommandRecord] = []
        let rows =
            if let connection {
                try await connection.query(query, logger: logger)
            } else {
                try await client.query(query, logger: logger)
            }
        for try await row in rows.decode(CommandRow.self) {
            if let record = Self.command(row) { result.append(record) }
        }
        return result
    }

    public func createCommand(_ command: NewCommand, maxQueued: Int) async throws -> CommandRecord {
        try await storeErrors { try await createCommand(command, maxQueued: maxQueued, transaction: ()) }
    }

    /// A ``StoreError`` thrown inside a transaction, as itself rather than wrapped.
    func storeErrors<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as PostgresTransactionError {
            if let inner = error.closureError as? StoreError { throw inner }
            throw error
        }
    }

    private func createCommand(_ command: NewCommand, maxQueued: Int, transaction: Void) async throws -> CommandRecord {
        try await client.withTransaction(logger: logger) { conn in
            // The device row's lock makes the count and the insert one step per device.
            var found = false
            for try await _ in try await conn.query(
                "SELECT id FROM devices WHERE id = \(command.deviceID) FOR UPDATE", logger: logger)
            { found = true }
            guard found else { throw StoreError.notFound("device \(command.deviceID)") }
            var queued: Int64 = 0
            for try await n in try await conn.query(
                "SELECT count(*)::bigint FROM commands WHERE device_id = \(command.deviceID) AND status = 'queued'",
                logger: logger
            ).decode(Int64.self) { queued = n }
            guard queued < maxQueued else {
                throw StoreError.limitReached("the device has \(queued) queued commands (the most is \(maxQueued))")
            }
            try await conn.query(
                """
                INSERT INTO commands (id, device_id, command, params, status, created_by, created_at, updated_at, expires_at)
                VALUES (\(command.id), \(command.deviceID), \(command.command), \(command.params)::jsonb, 'queued',
                        \(command.createdBy), \(command.createdAt), \(command.createdAt), \(command.expiresAt))
                """, logger: logger)
            guard
                let record = try await commands(
                    "SELECT \(unescaped: Self.commandColumns) FROM \(unescaped: Self.commandFrom) WHERE c.id = \(command.id)",
                    on: conn
                ).first
            else { throw StoreError.notFound("command") }
            return record
        }
    }

    public func command(id: String) async throws -> CommandRecord? {
        try await commands(
            "SELECT \(unescaped: Self.commandColumns) FROM \(unescaped: Self.commandFrom) WHERE c.id = \(id)"
        ).first
    }

    public func commands(_ query: CommandQuery) async throws -> [CommandRecord] {
        let status = query.status?.rawValue
        return try await commands(
            """
            SELECT \(unescaped: Self.commandColumns) FROM \(unescaped: Self.commandFrom)
            WHERE c.device_id = \(query.deviceID) AND (\(status)::text IS NULL OR c.status = \(status))
              AND (\(query.beforeSeq)::bigint IS NULL OR c.seq < \(query.beforeSeq))
            ORDER BY c.seq DESC LIMIT \(query.limit)
            """)
    }

    public func transitionCommand(_ transition: CommandTransition) async throws -> CommandRecord? {
        guard !transition.from.isEmpty else { return nil }
        let to = transition.to.rawValue
        let from = transition.from.map(\.rawValue)
        let final = transition.to.isFinal
        return try await commands(
            """
            WITH changed AS (
                UPDATE commands SET status = \(to), updated_at = \(transition.at),
                    sent_at = CASE WHEN \(to) = 'sent' THEN \(transition.at) WHEN \(to) = 'queued' THEN NULL ELSE sent_at END,
                    delivered_at = CASE WHEN \(to) = 'delivered' THEN \(transition.at) ELSE delivered_at END,
                    completed_at = CASE WHEN \(final) THEN \(transition.at) ELSE completed_at END,
                    result = coalesce(\(transition.result)::jsonb, result)
                WHERE id = \(transition.id) AND status = ANY(\(from)) RETURNING *
            )
            SELECT \(unescaped: Self.commandColumns)
            FROM changed c JOIN devices d ON d.id = c.device_id JOIN tenants t ON t.id = d.tenant_id
            """
        ).first
    }

    public func queuedCommands(device: DeviceKey?, limit: Int) async throws -> [CommandRecord] {
        let (tenant, uid) = (device?.tenant, device?.uid)
        return try await commands(
            """
            SELECT \(unescaped: Self.commandColumns) FROM \(unescaped: Self.commandFrom)
            WHERE c.status = 'queued' AND (\(tenant)::text IS NULL OR (t.name = \(tenant) AND d.uid = \(uid)))
            ORDER BY c.seq LIMIT \(limit)
            """)
    }

    public func expireCommands(now: Int64, limit: Int) async throws -> [CommandRecord] {
        try await commands(
            """
            WITH changed AS (
                UPDATE commands SET status = 'expired', updated_at = \(now), completed_at = \(now)
                WHERE seq IN (
                    SELECT seq FROM commands WHERE status IN ('queued', 'sent', 'delivered') AND expires_at <= \(now)
                    ORDER BY expires_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
                RETURNING *
            )
            SELECT \(unescaped: Self.commandColumns) FROM changed c JOIN devices d ON d.id = c.device_id
            JOIN tenants t ON t.id = d.tenant_id ORDER BY c.seq
            """)
    }
}
