import PostgresNIO
public import RoostStore

extension PostgresAPIStore {
    public func shadow(device: Int64) async throws -> ShadowRecord? {
        let rows = try await client.query(
            """
            SELECT device_id, desired::text, reported::text, metadata::text, version, updated_at
            FROM shadows WHERE device_id = \(device)
            """, logger: logger)
        for try await r in rows.decode((Int64, String, String, String, Int64, Int64).self) {
            return ShadowRecord(
                deviceID: r.0, desired: r.1, reported: r.2, metadata: r.3, version: r.4, updatedAt: r.5)
        }
        return nil
    }

    public func saveShadow(_ record: ShadowRecord, replacing: Int64) async throws -> Bool {
        let r = record
        let query: PostgresQuery =
            replacing == 0
            ? """
            INSERT INTO shadows (device_id, desired, reported, metadata, version, updated_at)
            SELECT id, \(r.desired)::json, \(r.reported)::json, \(r.metadata)::json, \(r.version), \(r.updatedAt)
            FROM devices WHERE id = \(r.deviceID)
            ON CONFLICT (device_id) DO NOTHING RETURNING device_id
            """
            : """
            UPDATE shadows SET desired = \(r.desired)::json, reported = \(r.reported)::json,
                metadata = \(r.metadata)::json, version = \(r.version), updated_at = \(r.updatedAt)
            WHERE device_id = \(r.deviceID) AND version = \(replacing) RETURNING device_id
            """
        for try await _ in try await client.query(query, logger: logger) { return true }
        if replacing == 0 {
            var exists = false
            for try await _ in try await client.query("SELECT 1 FROM devices WHERE id = \(r.deviceID)", logger: logger) {
                exists = true
            }
            guard exists else { throw StoreError.notFound("device \(r.deviceID)") }
        }
        return false
    }

    public func deviceID(for key: DeviceKey) async throws -> Int64? {
        let rows = try await client.query(
            """
            SELECT d.id FROM devices d JOIN tenants t ON t.id = d.tenant_id
            WHERE t.name = \(key.tenant) AND d.uid = \(key.uid)
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { return id }
        return nil
    }
}
