import PostgresNIO
public import RoostStore

extension PostgresAPIStore {
    func tenants(_ query: PostgresQuery) async throws -> [TenantRecord] {
        var result: [TenantRecord] = []
        for try await (id, name, created) in try await client.query(query, logger: logger).decode(
            (Int64, String, Int64).self)
        {
            result.append(TenantRecord(id: id, name: name, createdAt: created))
        }
        return result
    }

    public func tenants() async throws -> [TenantRecord] {
        try await tenants("SELECT id, name, created_at FROM tenants ORDER BY id")
    }

    public func tenant(id: Int64) async throws -> TenantRecord? {
        try await tenants("SELECT id, name, created_at FROM tenants WHERE id = \(id)").first
    }

    public func createTenant(name: String, now: Int64) async throws -> TenantRecord {
        let created = try await conflicts("a tenant named \(name) exists") {
            try await tenants(
                "INSERT INTO tenants (name, created_at) VALUES (\(name), \(now)) RETURNING id, name, created_at")
        }
        guard let tenant = created.first else { throw StoreError.notFound("tenant") }
        return tenant
    }

    public func deleteTenant(id: Int64) async throws -> Bool {
        try await client.withTransaction(logger: logger) { conn in
            try await Self.forgetRollups(devices: "(SELECT id FROM devices WHERE tenant_id = \(id))", conn, logger)
            for table in ["telemetry", "status_events", "dead_letters"] {
                try await conn.query(
                    "DELETE FROM \(unescaped: table) WHERE device_id IN (SELECT id FROM devices WHERE tenant_id = \(id))",
                    logger: logger)
            }
            var found = false
            for try await _ in try await conn.query("DELETE FROM tenants WHERE id = \(id) RETURNING id", logger: logger)
            { found = true }
            return found
        }
    }

    static let deviceColumns = """
        d.id, d.tenant_id, t.name, d.uid, d.name, d.labels::text, d.status, d.status_at, d.last_seen, d.latest::text, d.latest_ts,
        d.created_at
        """

    func devices(_ query: PostgresQuery) async throws -> [DeviceRecord] {
        var result: [DeviceRecord] = []
        let rows = try await client.query(query, logger: logger)
        for try await r in rows.decode(DeviceRow.self) { result.append(Self.device(r)) }
        return result
    }

    /// ``deviceColumns`` as decoded.
    typealias DeviceRow = (Int64, Int64, String, String, String?, String, String, Int64?, Int64?, String, Int64?, Int64)

    static func device(_ r: DeviceRow) -> DeviceRecord {
        DeviceRecord(
            id: r.0, tenantID: r.1, tenant: r.2, uid: r.3, name: r.4, labels: r.5, status: r.6, statusAt: r.7,
            lastSeen: r.8, latest: r.9, latestTS: r.10, createdAt: r.11)
    }

    public func devices(_ query: DeviceQuery) async throws -> (devices: [DeviceRecord], total: Int) {
        let pattern = query.searchPattern
        let (tenant, status, labelKey, labelValue) = (
            query.tenantID, query.status, query.label?.key, query.label?.value
        )
        let uid = query.uid
        var total = 0
        let count: PostgresQuery = """
            SELECT count(*)::bigint FROM devices d
            WHERE (\(tenant)::bigint IS NULL OR d.tenant_id = \(tenant)) AND (\(status)::text IS NULL OR d.status = \(status))
              AND (\(uid)::text IS NULL OR d.uid = \(uid))
              AND (\(labelKey)::text IS NULL OR d.labels ->> \(labelKey) = \(labelValue))
              AND (\(pattern)::text IS NULL OR d.uid ILIKE \(pattern) OR coalesce(d.name, '') ILIKE \(pattern))
            """
        for try await n in try await client.query(count, logger: logger).decode(Int64.self) { total = Int(n) }
        let page = try await devices(
            """
            SELECT \(unescaped: Self.deviceColumns) FROM devices d JOIN tenants t ON t.id = d.tenant_id
            WHERE (\(tenant)::bigint IS NULL OR d.tenant_id = \(tenant)) AND (\(status)::text IS NULL OR d.status = \(status))
              AND (\(uid)::text IS NULL OR d.uid = \(uid))
              AND (\(labelKey)::text IS NULL OR d.labels ->> \(labelKey) = \(labelValue))
              AND (\(pattern)::text IS NULL OR d.uid ILIKE \(pattern) OR coalesce(d.name, '') ILIKE \(pattern))
            AND d.id > \(query.afterID)
            ORDER BY d.id LIMIT \(query.limit)
            """)
        return (page, total)
    }

    /// Prepared (DeviceByIDStatement): every device route starts here.
    public func device(id: Int64, tenantID: Int64?) async throws -> DeviceRecord? {
        for try await row in try await client.execute(DeviceByIDStatement(id: id, tenantID: tenantID), logger: logger) {
            return Self.device(row)
        }
        return nil
    }

    public func createDevice(tenantID: Int64, uid: String, name: String?, labels: String, now: Int64) async throws
        -> DeviceRecord
    {
        guard try await tenant(id: tenantID) != nil else { throw StoreError.notFound("tenant \(tenantID)") }
        var id: Int64?
        try await conflicts("a device with uid \(uid) exists in this tenant") {
            let rows = try await client.query(
                """
                INSERT INTO devices (tenant_id, uid, name, labels, created_at) VALUES (\(tenantID), \(uid), \(name), \(labels)::jsonb, \(now))
                RETURNING id
                """, logger: logger)
            for try await i in rows.decode(Int64.self) { id = i }
        }
        guard let id, let device = try await device(id: id, tenantID: nil) else { throw StoreError.notFound("device") }
        return device
    }

    public func updateDevice(id: Int64, name: String?, labels: String?) async throws -> DeviceRecord? {
        let updated = try await exists(
            "UPDATE devices SET name = coalesce(\(name), name), labels = coalesce(\(labels)::jsonb, labels) WHERE id = \(id) RETURNING id"
        )
        return updated ? try await device(id: id, tenantID: nil) : nil
    }

    public func deleteDevice(id: Int64) async throws -> Bool {
        try await client.withTransaction(logger: logger) { conn in
            try await Self.forgetRollups(devices: "(\(id))", conn, logger)
            for table in ["telemetry", "status_events", "dead_letters"] {
                try await conn.query("DELETE FROM \(unescaped: table) WHERE device_id = \(id)", logger: logger)
            }
            var found = false
            for try await _ in try await conn.query("DELETE FROM devices WHERE id = \(id) RETURNING id", logger: logger)
            { found = true }
            return found
        }
    }

    public func deviceCounts(tenantID: Int64?) async throws -> (total: Int, online: Int) {
        let rows = try await client.query(
            """
            SELECT count(*)::bigint, count(*) FILTER (WHERE status = 'online')::bigint FROM devices
            WHERE \(tenantID)::bigint IS NULL OR tenant_id = \(tenantID)
            """, logger: logger)
        for try await (total, online) in rows.decode((Int64, Int64).self) { return (Int(total), Int(online)) }
        return (0, 0)
    }

}

/// A device by id, within a tenant unless `tenantID` is nil.
struct DeviceByIDStatement: PostgresPreparedStatement {
    typealias Row = PostgresAPIStore.DeviceRow

    static let name = "roost_device_by_id"
    static let sql = """
        SELECT \(PostgresAPIStore.deviceColumns) FROM devices d JOIN tenants t ON t.id = d.tenant_id
        WHERE d.id = $1 AND ($2::bigint IS NULL OR d.tenant_id = $2)
        """
    static var bindingDataTypes: [PostgresDataType] { [.int8, .int8] }

    let id: Int64
    let tenantID: Int64?

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings(capacity: 2)
        binds.append(id)
        binds.append(tenantID)
        return binds
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
