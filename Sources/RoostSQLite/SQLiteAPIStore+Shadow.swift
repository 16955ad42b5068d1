public import RoostStore
import SQLiteNIO

extension SQLiteAPIStore {
    public func shadow(device: Int64) async throws -> ShadowRecord? {
        try await store.reader.rows(
            "SELECT device_id, desired, reported, metadata, version, updated_at FROM shadows WHERE device_id = ?",
            [.integer(Int(device))]
        ).first.flatMap(Self.shadow)
    }

    public func saveShadow(_ record: ShadowRecord, replacing: Int64) async throws -> Bool {
        let db = store.connection
        let binds: [SQLiteData] = [
            .text(record.desired), .text(record.reported), .text(record.metadata), .integer(Int(record.version)),
            .integer(Int(record.updatedAt)), .integer(Int(record.deviceID)),
        ]
        return try await store.transaction {
            if replacing == 0 {
                guard
                    try await !db.rows("SELECT 1 FROM devices WHERE id = ?", [.integer(Int(record.deviceID))]).isEmpty
                else { throw StoreError.notFound("device \(record.deviceID)") }
                return try await !db.rows(
                    """
                    INSERT INTO shadows (desired, reported, metadata, version, updated_at, device_id)
                    VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device_id) DO NOTHING RETURNING device_id
                    """, binds
                ).isEmpty
            }
            return try await !db.rows(
                """
                UPDATE shadows SET desired = ?, reported = ?, metadata = ?, version = ?, updated_at = ?
                WHERE device_id = ? AND version = ? RETURNING device_id
                """, binds + [.integer(Int(replacing))]
            ).isEmpty
        }
    }

    public func deviceID(for key: DeviceKey) async throws -> Int64? {
        try await store.reader.rows(
            "SELECT d.id AS id FROM devices d JOIN tenants t ON t.id = d.tenant_id WHERE t.name = ? AND d.uid = ?",
            [.text(key.tenant), .text(key.uid)]
        ).first?.column("id")?.integer.map(Int64.init)
    }

    static func shadow(_ row: SQLiteRow) -> ShadowRecord? {
        guard let device = row.column("device_id")?.integer, let version = row.column("version")?.integer,
            let updated = row.column("updated_at")?.integer
        else { return nil }
        return ShadowRecord(
            deviceID: Int64(device), desired: row.column("desired")?.string ?? "{}",
            reported: row.column("reported")?.string ?? "{}", metadata: row.column("metadata")?.string ?? "{}",
            version: Int64(version), updatedAt: Int64(updated))
    }
}
