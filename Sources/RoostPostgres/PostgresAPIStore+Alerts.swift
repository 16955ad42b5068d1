import PostgresNIO
public import RoostStore

extension PostgresAPIStore {
    static let alertColumns = """
        a.id, a.rule_id, r.name, a.device_id, d.tenant_id, t.name, d.uid, a.state, a.value, a.opened_at,
        a.acknowledged_at, a.acknowledged_by, a.resolved_at
        """
    static let alertJoins = """
        JOIN alert_rules r ON r.id = a.rule_id JOIN devices d ON d.id = a.device_id JOIN tenants t ON t.id = d.tenant_id
        """

    typealias AlertRow = (
        Int64, Int64, String, Int64, Int64, String, String, String, Double?, Int64, Int64?, String?, Int64?
    )

    func alerts(_ query: PostgresQuery) async throws -> [AlertRecord] {
        var result: [AlertRecord] = []
        for try await r in try await client.query(query, logger: logger).decode(AlertRow.self) {
            guard let state = AlertState(rawValue: r.7) else { continue }
            result.append(
                AlertRecord(
                    id: r.0, ruleID: r.1, ruleName: r.2, deviceID: r.3, tenantID: r.4, tenant: r.5, uid: r.6,
                    state: state, value: r.8, openedAt: r.9, acknowledgedAt: r.10, acknowledgedBy: r.11,
                    resolvedAt: r.12))
        }
        return result
    }


    public func openAlert(ruleID: Int64, deviceID: Int64, value: Double?, at: Int64) async throws -> AlertRecord? {
        try await alerts(
            """
            WITH a AS (
                INSERT INTO alerts (rule_id, device_id, state, value, opened_at)
                SELECT \(ruleID), \(deviceID), 'open', \(value), \(at)
                WHERE EXISTS (SELECT 1 FROM alert_rules WHERE id = \(ruleID))
                  AND EXISTS (SELECT 1 FROM devices WHERE id = \(deviceID))
                ON CONFLICT DO NOTHING RETURNING *)
            SELECT \(unescaped: Self.alertColumns) FROM a \(unescaped: Self.alertJoins)
            """
        ).first
    }

    public func resolveAlert(ruleID: Int64, deviceID: Int64, at: Int64) async throws -> AlertRecord? {
        try await alerts(
            """
            WITH a AS (
                UPDATE alerts SET state = 'resolved', resolved_at = \(at)
                WHERE rule_id = \(ruleID) AND device_id = \(deviceID) AND state <> 'resolved' RETURNING *)
            SELECT \(unescaped: Self.alertColumns) FROM a \(unescaped: Self.alertJoins)
            """
        ).first
    }

    public func acknowledgeAlert(id: Int64, by: String, at: Int64) async throws -> AlertRecord? {
        try await alerts(
            """
            WITH a AS (
                UPDATE alerts SET state = 'acknowledged', acknowledged_at = \(at), acknowledged_by = \(by)
                WHERE id = \(id) AND state = 'open' RETURNING *)
            SELECT \(unescaped: Self.alertColumns) FROM a \(unescaped: Self.alertJoins)
            """
        ).first
    }

    public func alert(id: Int64) async throws -> AlertRecord? {
        try await alerts("SELECT \(unescaped: Self.alertColumns) FROM alerts a \(unescaped: Self.alertJoins) WHERE a.id = \(id)")
            .first
    }

    public func alerts(_ q: AlertQuery) async throws -> [AlertRecord] {
        let state = q.state?.rawValue
        return try await alerts(
            """
            SELECT \(unescaped: Self.alertColumns) FROM alerts a \(unescaped: Self.alertJoins)
            WHERE (\(q.tenantID)::bigint IS NULL OR d.tenant_id = \(q.tenantID))
              AND (\(state)::text IS NULL OR a.state = \(state))
              AND (\(q.deviceID)::bigint IS NULL OR a.device_id = \(q.deviceID))
              AND (\(q.ruleID)::bigint IS NULL OR a.rule_id = \(q.ruleID))
              AND (\(q.beforeID)::bigint IS NULL OR a.id < \(q.beforeID))
            ORDER BY a.id DESC LIMIT \(q.limit)
            """)
    }

    public func unresolvedAlerts() async throws -> [AlertRecord] {
        try await alerts(
            "SELECT \(unescaped: Self.alertColumns) FROM alerts a \(unescaped: Self.alertJoins) WHERE a.state <> 'resolved' ORDER BY a.id"
        )
    }
}
