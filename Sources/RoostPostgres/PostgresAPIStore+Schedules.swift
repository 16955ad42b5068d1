import PostgresNIO
public import RoostStore

extension PostgresAPIStore {
    static let scheduleColumns = """
        s.id, s.tenant_id, t.name, d.uid, s.name, s.device_id, s.labels, s.command, s.params, s.timeout_s, s.kind,
        s.at_ms, s.every_s, s.cron, s.tz, s.enabled, s.next_run_at, s.last_run_at, s.created_by, s.created_at,
        s.updated_at
        """
    static let scheduleJoins = "JOIN tenants t ON t.id = s.tenant_id LEFT JOIN devices d ON d.id = s.device_id"

    typealias ScheduleRow = (
        Int64, Int64, String, String?, String?, Int64?, String?, String, String, Int64?, String, Int64?, Int64?,
        String?, String?, Bool, Int64?, Int64?, String?, Int64, Int64
    )

    func schedules(_ query: PostgresQuery, on connection: PostgresConnection? = nil) async throws -> [ScheduleRecord] {
        let rows =
            if let connection {
                try await connection.query(query, logger: logger)
            } else {
                try await client.query(query, logger: logger)
            }
        var result: [ScheduleRecord] = []
        for try await r in rows.decode(ScheduleRow.self) {
            guard let timing = ScheduleTiming(kind: r.10, at: r.11, every: r.12, cron: r.13, timeZone: r.14) else {
                continue
            }
            let spec = ScheduleSpec(
                name: r.4, deviceID: r.5, labels: r.6, command: r.7, params: r.8, timeout: r.9, timing: timing,
                enabled: r.15)
            result.append(
                ScheduleRecord(
                    id: r.0, tenantID: r.1, tenant: r.2, uid: r.3, spec: spec, nextRunAt: r.16, lastRunAt: r.17,
                    createdBy: r.18, createdAt: r.19, updatedAt: r.20))
        }
        return result
    }

    private func requireScheduleDevice(_ id: Int64?, on conn: PostgresConnection) async throws {
        guard let id else { return }
        for try await _ in try await conn.query("SELECT 1 FROM devices WHERE id = \(id)", logger: logger) { return }
        throw StoreError.notFound("device \(id)")
    }

    public func createSchedule(tenantID: Int64, _ spec: ScheduleSpec, nextRunAt: Int64?, by: String?, now: Int64)
        async throws -> ScheduleRecord
    {
        let (p, c) = (spec, spec.timing.columns)
        return try await storeErrors {
            try await client.withTransaction(logger: logger) { conn in
                try await requireScheduleDevice(p.deviceID, on: conn)
                let query: PostgresQuery = """
                    WITH s AS (
                        INSERT INTO schedules (tenant_id, name, device_id, labels, command, params, timeout_s, kind, at_ms,
                            every_s, cron, tz, enabled, next_run_at, created_by, created_at, updated_at)
                        VALUES (\(tenantID), \(p.name), \(p.deviceID), \(p.labels), \(p.command), \(p.params), \(p.timeout),
                            \(c.kind), \(c.at), \(c.every), \(c.cron), \(c.timeZone), \(p.enabled), \(nextRunAt), \(by),
                            \(now), \(now))
                        RETURNING *)
                    SELECT \(unescaped: Self.scheduleColumns) FROM s \(unescaped: Self.scheduleJoins)
                    """
                guard let record = try await schedules(query, on: conn).first else {
                    throw StoreError.notFound("tenant \(tenantID)")
                }
                return record
            }
        }
    }

    public func schedules(tenantID: Int64?) async throws -> [ScheduleRecord] {
        try await schedules(
            """
            SELECT \(unescaped: Self.scheduleColumns) FROM schedules s \(unescaped: Self.scheduleJoins)
            WHERE (\(tenantID)::bigint IS NULL OR s.tenant_id = \(tenantID)) ORDER BY s.id
            """)
    }

    public func schedule(id: Int64) async throws -> ScheduleRecord? {
        try await schedules(
            "SELECT \(unescaped: Self.scheduleColumns) FROM schedules s \(unescaped: Self.scheduleJoins) WHERE s.id = \(id)"
        ).first
    }

    public func updateSchedule(id: Int64, _ spec: ScheduleSpec, nextRunAt: Int64?, now: Int64) async throws
        -> ScheduleRecord?
    {
        let (p, c) = (spec, spec.timing.columns)
        return try await storeErrors {
            try await client.withTransaction(logger: logger) { conn in
                try await requireScheduleDevice(p.deviceID, on: conn)
                let query: PostgresQuery = """
                    WITH s AS (
                        UPDATE schedules SET name = \(p.name), device_id = \(p.deviceID), labels = \(p.labels),
                            command = \(p.command), params = \(p.params), timeout_s = \(p.timeout), kind = \(c.kind),
                            at_ms = \(c.at), every_s = \(c.every), cron = \(c.cron), tz = \(c.timeZone),
                            enabled = \(p.enabled), next_run_at = \(nextRunAt), updated_at = \(now)
                        WHERE id = \(id) RETURNING *)
                    SELECT \(unescaped: Self.scheduleColumns) FROM s \(unescaped: Self.scheduleJoins)
                    """
                return try await schedules(query, on: conn).first
            }
        }
    }

    public func deleteSchedule(id: Int64) async throws -> Bool {
        for try await _ in try await client.query("DELETE FROM schedules WHERE id = \(id) RETURNING id", logger: logger) {
            return true
        }
        return false
    }

    public func dueSchedules(now: Int64, limit: Int) async throws -> [ScheduleRecord] {
        try await schedules(
            """
            SELECT \(unescaped: Self.scheduleColumns) FROM schedules s \(unescaped: Self.scheduleJoins)
            WHERE s.next_run_at IS NOT NULL AND s.next_run_at <= \(now) AND s.enabled
            ORDER BY s.next_run_at LIMIT \(limit)
            """)
    }

    typealias RunRow = (Int64, Int64, Int64, Int64, String, String, String?)

    func runs(_ query: PostgresQuery, on connection: PostgresConnection? = nil) async throws -> [ScheduleRun] {
        let rows =
            if let connection {
                try await connection.query(query, logger: logger)
            } else {
                try await client.query(query, logger: logger)
            }
        var result: [ScheduleRun] = []
        for try await r in rows.decode(RunRow.self) {
            guard let status = ScheduleRunStatus(rawValue: r.4) else { continue }
            result.append(
                ScheduleRun(
                    id: r.0, scheduleID: r.1, dueAt: r.2, at: r.3, status: status, commands: ScheduleRun.decode(r.5),
                    detail: r.6))
        }
        return result
    }

    public func claimScheduleRun(_ c: ScheduleClaim) async throws -> ScheduleRun? {
        // One statement: the conditional move of next_run_at and the run's insert commit together.
        try await runs(
            """
            WITH moved AS (
                UPDATE schedules SET next_run_at = \(c.next), last_run_at = \(c.dueAt)
                WHERE id = \(c.scheduleID) AND next_run_at = \(c.expected) RETURNING id)
            INSERT INTO schedule_runs (schedule_id, due_at, at, status, commands, detail)
            SELECT id, \(c.dueAt), \(c.at), \(c.status.rawValue), '[]', \(c.detail) FROM moved
            ON CONFLICT (schedule_id, due_at) DO NOTHING
            RETURNING id, schedule_id, due_at, at, status, commands, detail
            """
        ).first
    }

    public func finishScheduleRun(id: Int64, status: ScheduleRunStatus, commands: [String], detail: String?) async throws {
        try await client.query(
            """
            UPDATE schedule_runs SET status = \(status.rawValue), commands = \(ScheduleRun.encode(commands)),
                detail = \(detail) WHERE id = \(id)
            """, logger: logger)
    }

    public func scheduleRuns(scheduleID: Int64, beforeID: Int64?, limit: Int) async throws -> [ScheduleRun] {
        try await runs(
            """
            SELECT id, schedule_id, due_at, at, status, commands, detail FROM schedule_runs
            WHERE schedule_id = \(scheduleID) AND id < \(beforeID ?? Int64.max) ORDER BY id DESC LIMIT \(limit)
            """)
    }
}
