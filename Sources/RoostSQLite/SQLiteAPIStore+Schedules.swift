public import RoostStore
import SQLiteNIO

extension SQLiteAPIStore {
    static let scheduleColumns = """
        s.id AS id, s.tenant_id AS tenant_id, t.name AS tenant, d.uid AS uid, s.name AS name, s.device_id AS device_id,
        s.labels AS labels, s.command AS command, s.params AS params, s.timeout_s AS timeout_s, s.kind AS kind,
        s.at_ms AS at_ms, s.every_s AS every_s, s.cron AS cron, s.tz AS tz, s.enabled AS enabled,
        s.next_run_at AS next_run_at, s.last_run_at AS last_run_at, s.created_by AS created_by,
        s.created_at AS created_at, s.updated_at AS updated_at
        """
    static let scheduleFrom =
        "schedules s JOIN tenants t ON t.id = s.tenant_id LEFT JOIN devices d ON d.id = s.device_id"

    static func scheduleBinds(_ s: ScheduleSpec, next: Int64?) -> [SQLiteData] {
        let c = s.timing.columns
        return [
            s.name.sqlite, s.deviceID.sqlite, s.labels.sqlite, .text(s.command), .text(s.params), s.timeout.sqlite,
            .text(c.kind), c.at.sqlite, c.every.sqlite, c.cron.sqlite, c.timeZone.sqlite, .integer(s.enabled ? 1 : 0),
            next.sqlite,
        ]
    }

    private func scheduleRow(_ db: SQLiteConnection, _ id: Int) async throws -> SQLiteRow? {
        try await db.rows("SELECT \(Self.scheduleColumns) FROM \(Self.scheduleFrom) WHERE s.id = ?", [.integer(id)]).first
    }

    private func requireDevice(_ db: SQLiteConnection, _ id: Int64?) async throws {
        guard let id else { return }
        if try await db.rows("SELECT 1 FROM devices WHERE id = ?", [.integer(Int(id))]).isEmpty {
            throw StoreError.notFound("device \(id)")
        }
    }

    public func createSchedule(tenantID: Int64, _ spec: ScheduleSpec, nextRunAt: Int64?, by: String?, now: Int64)
        async throws -> ScheduleRecord
    {
        let db = store.connection
        let row = try await store.transaction {
            try await self.requireDevice(db, spec.deviceID)
            let inserted = try await db.rows(
                """
                INSERT INTO schedules (name, device_id, labels, command, params, timeout_s, kind, at_ms, every_s, cron, tz,
                    enabled, next_run_at, tenant_id, created_by, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """,
                Self.scheduleBinds(spec, next: nextRunAt)
                    + [.integer(Int(tenantID)), by.sqlite, .integer(Int(now)), .integer(Int(now))])
            guard let id = inserted.first?.column("id")?.integer else { return nil as SQLiteRow? }
            return try await self.scheduleRow(db, id)
        }
        guard let row, let record = Self.schedule(row) else { throw StoreError.notFound("schedule") }
        return record
    }

    public func schedules(tenantID: Int64?) async throws -> [ScheduleRecord] {
        var sql = "SELECT \(Self.scheduleColumns) FROM \(Self.scheduleFrom)"
        var binds: [SQLiteData] = []
        if let tenantID {
            sql += " WHERE s.tenant_id = ?"
            binds.append(.integer(Int(tenantID)))
        }
        return try await store.reader.rows(sql + " ORDER BY s.id", binds).compactMap(Self.schedule)
    }

    public func schedule(id: Int64) async throws -> ScheduleRecord? {
        try await store.reader.rows(
            "SELECT \(Self.scheduleColumns) FROM \(Self.scheduleFrom) WHERE s.id = ?", [.integer(Int(id))]
        ).first.flatMap(Self.schedule)
    }

    public func updateSchedule(id: Int64, _ spec: ScheduleSpec, nextRunAt: Int64?, now: Int64) async throws
        -> ScheduleRecord?
    {
        let db = store.connection
        let row = try await store.transaction {
            try await self.requireDevice(db, spec.deviceID)
            let changed = try await db.rows(
                """
                UPDATE schedules SET name = ?, device_id = ?, labels = ?, command = ?, params = ?, timeout_s = ?, kind = ?,
                    at_ms = ?, every_s = ?, cron = ?, tz = ?, enabled = ?, next_run_at = ?, updated_at = ?
                WHERE id = ? RETURNING id
                """, Self.scheduleBinds(spec, next: nextRunAt) + [.integer(Int(now)), .integer(Int(id))])
            guard !changed.isEmpty else { return nil as SQLiteRow? }
            return try await self.scheduleRow(db, Int(id))
        }
        return row.flatMap(Self.schedule)
    }

    public func deleteSchedule(id: Int64) async throws -> Bool {
        let db = store.connection
        return try await store.transaction {
            try await !db.rows("DELETE FROM schedules WHERE id = ? RETURNING id", [.integer(Int(id))]).isEmpty
        }
    }

    public func dueSchedules(now: Int64, limit: Int) async throws -> [ScheduleRecord] {
        try await store.reader.rows(
            """
            SELECT \(Self.scheduleColumns) FROM \(Self.scheduleFrom)
            WHERE s.next_run_at IS NOT NULL AND s.next_run_at <= ? AND s.enabled = 1 ORDER BY s.next_run_at LIMIT ?
            """, [.integer(Int(now)), .integer(limit)]
        ).compactMap(Self.schedule)
    }

    public func claimScheduleRun(_ c: ScheduleClaim) async throws -> ScheduleRun? {
        let db = store.connection
        let row = try await store.transaction {
            let moved = try await db.rows(
                """
                UPDATE schedules SET next_run_at = ?, last_run_at = ? WHERE id = ? AND next_run_at = ? RETURNING id
                """, [c.next.sqlite, .integer(Int(c.dueAt)), .integer(Int(c.scheduleID)), .integer(Int(c.expected))])
            guard !moved.isEmpty else { return nil as SQLiteRow? }
            return try await db.rows(
                """
                INSERT INTO schedule_runs (schedule_id, due_at, at, status, commands, detail) VALUES (?, ?, ?, ?, '[]', ?)
                ON CONFLICT (schedule_id, due_at) DO NOTHING
                RETURNING id, schedule_id, due_at, at, status, commands, detail
                """,
                [
                    .integer(Int(c.scheduleID)), .integer(Int(c.dueAt)), .integer(Int(c.at)), .text(c.status.rawValue),
                    c.detail.sqlite,
                ]
            ).first
        }
        return row.flatMap(Self.run)
    }

    public func finishScheduleRun(id: Int64, status: ScheduleRunStatus, commands: [String], detail: String?) async throws {
        let db = store.connection
        _ = try await store.transaction {
            try await db.rows(
                "UPDATE schedule_runs SET status = ?, commands = ?, detail = ? WHERE id = ?",
                [.text(status.rawValue), .text(ScheduleRun.encode(commands)), detail.sqlite, .integer(Int(id))])
        }
    }

    public func scheduleRuns(scheduleID: Int64, beforeID: Int64?, limit: Int) async throws -> [ScheduleRun] {
        try await store.reader.rows(
            """
            SELECT id, schedule_id, due_at, at, status, commands, detail FROM schedule_runs
            WHERE schedule_id = ? AND id < ? ORDER BY id DESC LIMIT ?
            """, [.integer(Int(scheduleID)), .integer(Int(beforeID ?? Int64.max)), .integer(limit)]
        ).compactMap(Self.run)
    }

    static func run(_ row: SQLiteRow) -> ScheduleRun? {
        func int(_ name: String) -> Int64? { row.column(name)?.integer.map(Int64.init) }
        guard let id = int("id"), let schedule = int("schedule_id"), let due = int("due_at"), let at = int("at"),
            let status = row.column("status")?.string.flatMap(ScheduleRunStatus.init(rawValue:))
        else { return nil }
        return ScheduleRun(
            id: id, scheduleID: schedule, dueAt: due, at: at, status: status,
            commands: ScheduleRun.decode(row.column("commands")?.string), detail: row.column("detail")?.string)
    }

    static func schedule(_ row: SQLiteRow) -> ScheduleRecord? {
        func int(_ name: String) -> Int64? { row.column(name)?.integer.map(Int64.init) }
        func text(_ name: String) -> String? { row.column(name)?.string }
        guard let id = int("id"), let tenantID = int("tenant_id"), let tenant = text("tenant"),
            let command = text("command"), let kind = text("kind"),
            let timing = ScheduleTiming(
                kind: kind, at: int("at_ms"), every: int("every_s"), cron: text("cron"), timeZone: text("tz")),
            let created = int("created_at"), let updated = int("updated_at")
        else { return nil }
        let spec = ScheduleSpec(
            name: text("name"), deviceID: int("device_id"), labels: text("labels"), command: command,
            params: text("params") ?? "{}", timeout: int("timeout_s"), timing: timing, enabled: int("enabled") != 0)
        return ScheduleRecord(
            id: id, tenantID: tenantID, tenant: tenant, uid: text("uid"), spec: spec, nextRunAt: int("next_run_at"),
            lastRunAt: int("last_run_at"), createdBy: text("created_by"), createdAt: created, updatedAt: updated)
    }
}
