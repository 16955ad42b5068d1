import PostgresNIO
public import RoostStore

extension PostgresAPIStore {
    static let ruleColumns = """
        r.id, r.tenant_id, t.name, d.uid, r.name, r.device_id, r.labels, r.kind, r.key, r.op, r.threshold,
        r.duration_s, r.webhook_url, r.webhook_secret, r.enabled, r.created_at, r.updated_at
        """
    static let ruleFrom =
        "alert_rules r JOIN tenants t ON t.id = r.tenant_id LEFT JOIN devices d ON d.id = r.device_id"

    typealias RuleRow = (
        Int64, Int64, String, String?, String, Int64?, String?, String, String?, String?, Double?, Int64, String?,
        String?, Bool, Int64, Int64
    )

    func rules(_ query: PostgresQuery, on connection: PostgresConnection? = nil) async throws -> [AlertRuleRecord] {
        let rows =
            if let connection {
                try await connection.query(query, logger: logger)
            } else {
                try await client.query(query, logger: logger)
            }
        var result: [AlertRuleRecord] = []
        for try await r in rows.decode(RuleRow.self) {
            guard let kind = AlertRuleKind(rawValue: r.7) else { continue }
            let spec = AlertRuleSpec(
                name: r.4, deviceID: r.5, labels: r.6, kind: kind, key: r.8, op: r.9.flatMap(AlertOperator.init),
                threshold: r.10, duration: r.11, webhookURL: r.12, webhookSecret: r.13, enabled: r.14)
            result.append(
                AlertRuleRecord(id: r.0, tenantID: r.1, tenant: r.2, uid: r.3, spec: spec, createdAt: r.15, updatedAt: r.16))
        }
        return result
    }

    private func requireDevice(_ id: Int64?, on conn: PostgresConnection) async throws {
        guard let id else { return }
        for try await _ in try await conn.query("SELECT 1 FROM devices WHERE id = \(id)", logger: logger) { return }
        throw StoreError.notFound("device \(id)")
    }

    public func createAlertRule(tenantID: Int64, _ spec: AlertRuleSpec, now: Int64) async throws -> AlertRuleRecord {
        let s = spec
        return try await storeErrors {
            try await client.withTransaction(logger: logger) { conn in
                try await requireDevice(s.deviceID, on: conn)
                let query: PostgresQuery = """
                    WITH r AS (
                        INSERT INTO alert_rules (tenant_id, name, device_id, labels, kind, key, op, threshold, duration_s,
                            webhook_url, webhook_secret, enabled, created_at, updated_at)
                        VALUES (\(tenantID), \(s.name), \(s.deviceID), \(s.labels), \(s.kind.rawValue), \(s.key),
                            \(s.op?.rawValue), \(s.threshold), \(s.duration), \(s.webhookURL), \(s.webhookSecret),
                            \(s.enabled), \(now), \(now))
                        RETURNING *)
                    SELECT \(unescaped: Self.ruleColumns)
                    FROM r JOIN tenants t ON t.id = r.tenant_id LEFT JOIN devices d ON d.id = r.device_id
                    """
                guard let record = try await rules(query, on: conn).first else {
                    throw StoreError.notFound("tenant \(tenantID)")
                }
                return record
            }
        }
    }

    public func alertRules(tenantID: Int64?) async throws -> [AlertRuleRecord] {
        try await rules(
            """
            SELECT \(unescaped: Self.ruleColumns) FROM \(unescaped: Self.ruleFrom)
            WHERE (\(tenantID)::bigint IS NULL OR r.tenant_id = \(tenantID)) ORDER BY r.id
            """)
    }

    public func alertRule(id: Int64) async throws -> AlertRuleRecord? {
        try await rules("SELECT \(unescaped: Self.ruleColumns) FROM \(unescaped: Self.ruleFrom) WHERE r.id = \(id)")
            .first
    }

    public func updateAlertRule(id: Int64, _ spec: AlertRuleSpec, now: Int64) async throws -> AlertRuleRecord? {
        let s = spec
        return try await storeErrors {
            try await client.withTransaction(logger: logger) { conn in
                try await requireDevice(s.deviceID, on: conn)
                let query: PostgresQuery = """
                    WITH r AS (
                        UPDATE alert_rules SET name = \(s.name), device_id = \(s.deviceID), labels = \(s.labels),
                            kind = \(s.kind.rawValue), key = \(s.key), op = \(s.op?.rawValue), threshold = \(s.threshold),
                            duration_s = \(s.duration), webhook_url = \(s.webhookURL),
                            webhook_secret = \(s.webhookSecret), enabled = \(s.enabled), updated_at = \(now)
                        WHERE id = \(id) RETURNING *)
                    SELECT \(unescaped: Self.ruleColumns)
                    FROM r JOIN tenants t ON t.id = r.tenant_id LEFT JOIN devices d ON d.id = r.device_id
                    """
                return try await rules(query, on: conn).first
            }
        }
    }

    public func deleteAlertRule(id: Int64) async throws -> Bool {
        for try await _ in try await client.query(
            "DELETE FROM alert_rules WHERE id = \(id) RETURNING id", logger: logger)
        { return true }
        return false
    }
}
