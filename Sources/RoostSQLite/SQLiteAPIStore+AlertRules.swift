public import RoostStore
import SQLiteNIO

extension SQLiteAPIStore {
    static let ruleColumns = """
        r.id AS id, r.tenant_id AS tenant_id, t.name AS tenant, d.uid AS uid, r.name AS name, r.device_id AS device_id,
        r.labels AS labels, r.kind AS kind, r.key AS key, r.op AS op, r.threshold AS threshold,
        r.duration_s AS duration_s, r.webhook_url AS webhook_url, r.webhook_secret AS webhook_secret,
        r.enabled AS enabled, r.created_at AS created_at, r.updated_at AS updated_at
        """
    static let ruleFrom =
        "alert_rules r JOIN tenants t ON t.id = r.tenant_id LEFT JOIN devices d ON d.id = r.device_id"

    static func specBinds(_ s: AlertRuleSpec) -> [SQLiteData] {
        [
            .text(s.name), s.deviceID.sqlite, s.labels.sqlite, .text(s.kind.rawValue), s.key.sqlite,
            s.op.map { .text($0.rawValue) } ?? .null, s.threshold.map { .float($0) } ?? .null,
            .integer(Int(s.duration)), s.webhookURL.sqlite, s.webhookSecret.sqlite, .integer(s.enabled ? 1 : 0),
        ]
    }

    public func createAlertRule(tenantID: Int64, _ spec: AlertRuleSpec, now: Int64) async throws -> AlertRuleRecord {
        let db = store.connection
        let row = try await store.transaction {
            if let device = spec.deviceID,
                try await db.rows("SELECT 1 FROM devices WHERE id = ?", [.integer(Int(device))]).isEmpty
            {
                throw StoreError.notFound("device \(device)")
            }
            let inserted = try await db.rows(
                """
                INSERT INTO alert_rules (name, device_id, labels, kind, key, op, threshold, duration_s, webhook_url,
                    webhook_secret, enabled, tenant_id, created_at, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
                """,
                Self.specBinds(spec) + [.integer(Int(tenantID)), .integer(Int(now)), .integer(Int(now))])
            guard let id = inserted.first?.column("id")?.integer else { return nil as SQLiteRow? }
            return try await db.rows("SELECT \(Self.ruleColumns) FROM \(Self.ruleFrom) WHERE r.id = ?", [.integer(id)])
                .first
        }
        guard let row, let record = Self.rule(row) else { throw StoreError.notFound("alert rule") }
        return record
    }

    public func alertRules(tenantID: Int64?) async throws -> [AlertRuleRecord] {
        var sql = "SELECT \(Self.ruleColumns) FROM \(Self.ruleFrom)"
        var binds: [SQLiteData] = []
        if let tenantID {
            sql += " WHERE r.tenant_id = ?"
            binds.append(.integer(Int(tenantID)))
        }
        return try await store.reader.rows(sql + " ORDER BY r.id", binds).compactMap(Self.rule)
    }

    public func alertRule(id: Int64) async throws -> AlertRuleRecord? {
        try await store.reader.rows(
            "SELECT \(Self.ruleColumns) FROM \(Self.ruleFrom) WHERE r.id = ?", [.integer(Int(id))]
        ).first.flatMap(Self.rule)
    }

    public func updateAlertRule(id: Int64, _ spec: AlertRuleSpec, now: Int64) async throws -> AlertRuleRecord? {
        let db = store.connection
        let row = try await store.transaction {
            if let device = spec.deviceID,
                try await db.rows("SELECT 1 FROM devices WHERE id = ?", [.integer(Int(device))]).isEmpty
            {
                throw StoreError.notFound("device \(device)")
            }
            let changed = try await db.rows(
                """
                UPDATE alert_rules SET name = ?, device_id = ?, labels = ?, kind = ?, key = ?, op = ?, threshold = ?,
                    duration_s = ?, webhook_url = ?, webhook_secret = ?, enabled = ?, updated_at = ?
                WHERE id = ? RETURNING id
                """, Self.specBinds(spec) + [.integer(Int(now)), .integer(Int(id))])
            guard !changed.isEmpty else { return nil as SQLiteRow? }
            return try await db.rows(
                "SELECT \(Self.ruleColumns) FROM \(Self.ruleFrom) WHERE r.id = ?", [.integer(Int(id))]
            ).first
        }
        return row.flatMap(Self.rule)
    }

    public func deleteAlertRule(id: Int64) async throws -> Bool {
        let db = store.connection
        return try await store.transaction {
            try await !db.rows("DELETE FROM alert_rules WHERE id = ? RETURNING id", [.integer(Int(id))]).isEmpty
        }
    }

    static func rule(_ row: SQLiteRow) -> AlertRuleRecord? {
        func int(_ name: String) -> Int64? { row.column(name)?.integer.map(Int64.init) }
        func text(_ name: String) -> String? { row.column(name)?.string }
        guard let id = int("id"), let tenantID = int("tenant_id"), let tenant = text("tenant"),
            let name = text("name"), let kind = text("kind").flatMap(AlertRuleKind.init(rawValue:)),
            let duration = int("duration_s"), let created = int("created_at"), let updated = int("updated_at")
        else { return nil }
        let spec = AlertRuleSpec(
            name: name, deviceID: int("device_id"), labels: text("labels"), kind: kind, key: text("key"),
            op: text("op").flatMap(AlertOperator.init(rawValue:)), threshold: row.column("threshold")?.double,
            duration: duration, webhookURL: text("webhook_url"), webhookSecret: text("webhook_secret"),
            enabled: int("enabled") != 0)
        return AlertRuleRecord(
            id: id, tenantID: tenantID, tenant: tenant, uid: text("uid"), spec: spec, createdAt: created,
            updatedAt: updated)
    }
}
