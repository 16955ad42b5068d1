public import RoostStore
import SQLiteNIO

extension SQLiteAPIStore {
    static let alertColumns = """
        a.id AS id, a.rule_id AS rule_id, r.name AS rule_name, a.device_id AS device_id, d.tenant_id AS tenant_id,
        t.name AS tenant, d.uid AS uid, a.state AS state, a.value AS value, a.opened_at AS opened_at,
        a.acknowledged_at AS acknowledged_at, a.acknowledged_by AS acknowledged_by, a.resolved_at AS resolved_at
        """
    static let alertFrom = """
        alerts a JOIN alert_rules r ON r.id = a.rule_id JOIN devices d ON d.id = a.device_id
        JOIN tenants t ON t.id = d.tenant_id
        """

    private func alertRow(_ db: SQLiteConnection, _ id: Int) async throws -> SQLiteRow? {
        try await db.rows("SELECT \(Self.alertColumns) FROM \(Self.alertFrom) WHERE a.id = ?", [.integer(id)]).first
    }

    public func openAlert(ruleID: Int64, deviceID: Int64, value: Double?, at: Int64) async throws -> AlertRecord? {
        let db = store.connection
        let row = try await store.transaction {
            let inserted = try await db.rows(
                """
                INSERT INTO alerts (rule_id, device_id, state, value, opened_at)
                SELECT ?, ?, 'open', ?, ? WHERE EXISTS (SELECT 1 FROM alert_rules WHERE id = ?)
                    AND EXISTS (SELECT 1 FROM devices WHERE id = ?)
                ON CONFLICT DO NOTHING RETURNING id
                """,
                [
                    .integer(Int(ruleID)), .integer(Int(deviceID)), value.map { .float($0) } ?? .null,
                    .integer(Int(at)), .integer(Int(ruleID)), .integer(Int(deviceID)),
                ])
            guard let id = inserted.first?.column("id")?.integer else { return nil as SQLiteRow? }
            return try await self.alertRow(db, id)
        }
        return row.flatMap(Self.alert)
    }

    public func resolveAlert(ruleID: Int64, deviceID: Int64, at: Int64) async throws -> AlertRecord? {
        let db = store.connection
        let row = try await store.transaction {
            let changed = try await db.rows(
                """
                UPDATE alerts SET state = 'resolved', resolved_at = ?
                WHERE rule_id = ? AND device_id = ? AND state != 'resolved' RETURNING id
                """, [.integer(Int(at)), .integer(Int(ruleID)), .integer(Int(deviceID))])
            guard let id = changed.first?.column("id")?.integer else { return nil as SQLiteRow? }
            return try await self.alertRow(db, id)
        }
        return row.flatMap(Self.alert)
    }

    public func acknowledgeAlert(id: Int64, by: String, at: Int64) async throws -> AlertRecord? {
        let db = store.connection
        let row = try await store.transaction {
            let changed = try await db.rows(
                """
                UPDATE alerts SET state = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?
                WHERE id = ? AND state = 'open' RETURNING id
                """, [.integer(Int(at)), .text(by), .integer(Int(id))])
            guard let id = changed.first?.column("id")?.integer else { return nil as SQLiteRow? }
            return try await self.alertRow(db, id)
        }
        return row.flatMap(Self.alert)
    }

    public func alert(id: Int64) async throws -> AlertRecord? {
        try await store.reader.rows(
            "SELECT \(Self.alertColumns) FROM \(Self.alertFrom) WHERE a.id = ?", [.integer(Int(id))]
        ).first.flatMap(Self.alert)
    }

    public func alerts(_ query: AlertQuery) async throws -> [AlertRecord] {
        var sql = "SELECT \(Self.alertColumns) FROM \(Self.alertFrom) WHERE 1 = 1"
        var binds: [SQLiteData] = []
        if let tenant = query.tenantID {
            sql += " AND d.tenant_id = ?"
            binds.append(.integer(Int(tenant)))
        }
        if let state = query.state {
            sql += " AND a.state = ?"
            binds.append(.text(state.rawValue))
        }
        if let device = query.deviceID {
            sql += " AND a.device_id = ?"
            binds.append(.integer(Int(device)))
        }
        if let rule = query.ruleID {
            sql += " AND a.rule_id = ?"
            binds.append(.integer(Int(rule)))
        }
        if let before = query.beforeID {
            sql += " AND a.id < ?"
            binds.append(.integer(Int(before)))
        }
        sql += " ORDER BY a.id DESC LIMIT ?"
        binds.append(.integer(query.limit))
        return try await store.reader.rows(sql, binds).compactMap(Self.alert)
    }

    public func unresolvedAlerts() async throws -> [AlertRecord] {
        try await store.reader.rows(
            "SELECT \(Self.alertColumns) FROM \(Self.alertFrom) WHERE a.state != 'resolved' ORDER BY a.id"
        ).compactMap(Self.alert)
    }

    static func alert(_ row: SQLiteRow) -> AlertRecord? {
        func int(_ name: String) -> Int64? { row.column(name)?.integer.map(Int64.init) }
        guard let id = int("id"), let rule = int("rule_id"), let ruleName = row.column("rule_name")?.string,
            let device = int("device_id"), let tenantID = int("tenant_id"), let tenant = row.column("tenant")?.string,
            let uid = row.column("uid")?.string,
            let state = row.column("state")?.string.flatMap(AlertState.init(rawValue:)),
            let opened = int("opened_at")
        else { return nil }
        return AlertRecord(
            id: id, ruleID: rule, ruleName: ruleName, deviceID: device, tenantID: tenantID, tenant: tenant, uid: uid,
            state: state, value: row.column("value")?.double, openedAt: opened,
            acknowledgedAt: int("acknowledged_at"), acknowledgedBy: row.column("acknowledged_by")?.string,
            resolvedAt: int("resolved_at"))
    }
}
