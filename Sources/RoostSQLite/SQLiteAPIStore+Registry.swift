public import RoostStore
import SQLiteNIO

extension SQLiteAPIStore {
    public func tenants() async throws -> [TenantRecord] {
        try await store.reader.rows("SELECT id, name, created_at FROM tenants ORDER BY id", []).compactMap(Self.tenant)
    }

    public func tenant(id: Int64) async throws -> TenantRecord? {
        try await store.reader.rows("SELECT id, name, created_at FROM tenants WHERE id = ?", [.integer(Int(id))]).first
            .flatMap(Self.tenant)
    }

    public func createTenant(name: String, now: Int64) async throws -> TenantRecord {
        let db = store.connection
        let row = try await store.transaction {
            guard try await db.rows("SELECT 1 FROM tenants WHERE name = ?", [.text(name)]).isEmpty else {
                throw StoreError.conflict("a tenant named \(name) exists")
            }
            return try await db.rows(
                "INSERT INTO tenants (name, created_at) VALUES (?, ?) RETURNING id, name, created_at",
                [.text(name), .integer(Int(now))]
            ).first
        }
        guard let row, let tenant = Self.tenant(row) else { throw StoreError.notFound("tenant") }
        return tenant
    }

    public func deleteTenant(id: Int64) async throws -> Bool {
        let db = store.connection
        return try await store.transaction {
            let devices = "(SELECT id FROM devices WHERE tenant_id = ?)"
            for table in ["telemetry", "status_events", "dead_letters"] {
                _ = try await db.rows("DELETE FROM \(table) WHERE device_id IN \(devices)", [.integer(Int(id))])
            }
            try await Self.forgetRollups(devices: devices, [.integer(Int(id))], db)
            // Devices, their credentials, users and keys follow by ON DELETE CASCADE.
            return !(try await db.rows("DELETE FROM tenants WHERE id = ? RETURNING id", [.integer(Int(id))]).isEmpty)
        }
    }

    static let deviceColumns = """
        d.id AS id, d.tenant_id AS tenant_id, t.name AS tenant, d.uid AS uid, d.name AS name, d.labels AS labels, d.status AS status,
        d.status_at AS status_at, d.last_seen AS last_seen, d.latest AS latest, d.latest_ts AS latest_ts, d.created_at AS created_at
        """

    public func devices(_ query: DeviceQuery) async throws -> (devices: [DeviceRecord], total: Int) {
        var conditions: [String] = []
        var binds: [SQLiteData] = []
        if let tenant = query.tenantID {
            conditions.append("d.tenant_id = ?")
            binds.append(.integer(Int(tenant)))
        }
        if let uid = query.uid {
            conditions.append("d.uid = ?")
            binds.append(.text(uid))
        }
        if let status = query.status {
            conditions.append("d.status = ?")
            binds.append(.text(status))
        }
        if let label = query.label {
            conditions.append("json_extract(d.labels, ?) = ?")
            binds += [.text("$.\"" + label.key.replacingOccurrences(of: "\"", with: "") + "\""), .text(label.value)]
        }
        if let pattern = query.searchPattern {
            conditions.append("(d.uid LIKE ? ESCAPE '\\' OR coalesce(d.name, '') LIKE ? ESCAPE '\\')")
            binds += [.text(pattern), .text(pattern)]
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let db = store.reader
        let total =
            try await db.rows("SELECT count(*) AS n FROM devices d \(filter)", binds).first?.column("n")?.integer ?? 0
        let page = (filter.isEmpty ? "WHERE" : filter + " AND") + " d.id > ?"
        let rows = try await db.rows(
            "SELECT \(Self.deviceColumns) FROM devices d JOIN tenants t ON t.id = d.tenant_id \(page) ORDER BY d.id LIMIT ?",
            binds + [.integer(Int(query.afterID)), .integer(query.limit)])
        return (rows.compactMap(Self.device), total)
    }

    /// Every device route looks its device up first, so this one runs on a reader connection's
    /// cached statement (no parse per request; `+?` keeps SQLite from recompiling it per bind).
    public func device(id: Int64, tenantID: Int64?) async throws -> DeviceRecord? {
        try await store.read { db in
            let query = try db.statement(
                "SELECT \(Self.deviceColumns) FROM devices d JOIN tenants t ON t.id = d.tenant_id WHERE d.id = +? AND (+? IS NULL OR d.tenant_id = +?)"
            )
            query.bind(1, id)
            query.bind(2, tenantID)
            query.bind(3, tenantID)
            var found: DeviceRecord?
            try query.forEachRow { row in
                let optional = { (i: Int32) in row.isNull(i) ? nil : row.int64(i) }
                found = DeviceRecord(
                    id: row.int64(0), tenantID: row.int64(1), tenant: row.text(2) ?? "", uid: row.text(3) ?? "",
                    name: row.text(4), labels: row.text(5) ?? "{}", status: row.text(6) ?? "unknown",
                    statusAt: optional(7), lastSeen: optional(8), latest: row.text(9) ?? "{}",
                    latestTS: optional(10), createdAt: row.int64(11))
            }
            return found
        }
    }

    public func createDevice(tenantID: Int64, uid: String, name: String?, labels: String, now: Int64) async throws
        -> DeviceRecord
    {
        let db = store.connection
        let id = try await store.transaction {
            guard
                try await db.rows(
                    "SELECT 1 FROM devices WHERE tenant_id = ? AND uid = ?", [.integer(Int(tenantID)), .text(uid)]
                ).isEmpty
            else { throw StoreError.conflict("a device with uid \(uid) exists in this tenant") }
            guard !(try await db.rows("SELECT 1 FROM tenants WHERE id = ?", [.integer(Int(tenantID))]).isEmpty) else {
                throw StoreError.notFound("tenant \(tenantID)")
            }
            return try await db.rows(
                "INSERT INTO devices (tenant_id, uid, name, labels, created_at) VALUES (?, ?, ?, ?, ?) RETURNING id",
                [.integer(Int(tenantID)), .text(uid), name.sqlite, .text(labels), .integer(Int(now))]
            ).first?.column("id")?.integer
        }
        guard let id, let device = try await device(id: Int64(id), tenantID: nil) else {
            throw StoreError.notFound("device")
        }
        return device
    }

    public func updateDevice(id: Int64, name: String?, labels: String?) async throws -> DeviceRecord? {
        let db = store.connection
        let updated = try await store.transaction {
            !(try await db.rows(
                "UPDATE devices SET name = coalesce(?, name), labels = coalesce(?, labels) WHERE id = ? RETURNING id",
                [name.sqlite, labels.sqlite, .integer(Int(id))]
            ).isEmpty)
        }
        return updated ? try await device(id: id, tenantID: nil) : nil
    }

    public func deleteDevice(id: Int64) async throws -> Bool {
        let db = store.connection
        return try await store.transaction {
            for table in ["telemetry", "status_events", "dead_letters"] {
                _ = try await db.rows("DELETE FROM \(table) WHERE device_id = ?", [.integer(Int(id))])
            }
            try await Self.forgetRollups(devices: "(?)", [.integer(Int(id))], db)
            return !(try await db.rows("DELETE FROM devices WHERE id = ? RETURNING id", [.integer(Int(id))]).isEmpty)
        }
    }

    public func deviceCounts(tenantID: Int64?) async throws -> (total: Int, online: Int) {
        let row = try await store.reader.rows(
            "SELECT count(*) AS total, coalesce(sum(status = 'online'), 0) AS online FROM devices WHERE ? IS NULL OR tenant_id = ?",
            [tenantID.sqlite, tenantID.sqlite]
        ).first
        return (row?.column("total")?.integer ?? 0, row?.column("online")?.integer ?? 0)
    }

    static func tenant(_ row: SQLiteRow) -> TenantRecord? {
        guard let id = row.column("id")?.integer, let name = row.column("name")?.string,
            let created = row.column("created_at")?.integer
        else { return nil }
        return TenantRecord(id: Int64(id), name: name, createdAt: Int64(created))
    }

    static func device(_ row: SQLiteRow) -> DeviceRecord? {
        guard let id = row.column("id")?.integer, let tenantID = row.column("tenant_id")?.integer,
            let tenant = row.column("tenant")?.string, let uid = row.column("uid")?.string,
            let created = row.column("created_at")?.integer
        else { return nil }
        return DeviceRecord(
            id: Int64(id), tenantID: Int64(tenantID), tenant: tenant, uid: uid, name: row.column("name")?.string,
            labels: row.column("labels")?.string ?? "{}", status: row.column("status")?.string ?? "unknown",
            statusAt: row.column("status_at")?.integer.map(Int64.init),
            lastSeen: row.column("last_seen")?.integer.map(Int64.init),
            latest: row.column("latest")?.string ?? "{}", latestTS: row.column("latest_ts")?.integer.map(Int64.init),
            createdAt: Int64(created))
    }
}
