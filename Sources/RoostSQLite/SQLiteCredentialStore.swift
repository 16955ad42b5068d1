import NIOCore
public import RoostStore
import SQLiteNIO

/// Device credentials in SQLite.
public struct SQLiteCredentialStore: CredentialStore {
    let store: SQLiteStore

    public init(store: SQLiteStore) {
        self.store = store
    }

    public func setCredentials(_ key: DeviceKey, _ c: StoredCredentials, now: Int64) async throws -> DeviceIdentity {
        let db = store.connection
        return try await store.transaction {
            _ = try await db.rows(
                "INSERT OR IGNORE INTO tenants (name, created_at) VALUES (?, ?)",
                [.text(key.tenant), .integer(Int(now))])
            _ = try await db.rows(
                "INSERT OR IGNORE INTO devices (tenant_id, uid, created_at) SELECT id, ?, ? FROM tenants WHERE name = ?",
                [.text(key.uid), .integer(Int(now)), .text(key.tenant)])
            let rows = try await db.rows(
                "SELECT d.id AS id FROM devices d JOIN tenants t ON t.id = d.tenant_id WHERE t.name = ? AND d.uid = ?",
                [.text(key.tenant), .text(key.uid)])
            guard let id = rows.first?.column("id")?.integer else { throw CredentialStoreError.deviceNotCreated(key) }
            _ = try await db.rows(
                """
                INSERT OR REPLACE INTO device_credentials
                    (device_id, mqtt_username, mqtt_salt, mqtt_hash, api_key_prefix, api_salt, api_hash, updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .integer(id), .text(c.mqttUsername), .blob(ByteBuffer(bytes: c.mqttSecret.salt)),
                    .blob(ByteBuffer(bytes: c.mqttSecret.hash)), .text(c.apiKeyPrefix),
                    .blob(ByteBuffer(bytes: c.apiKeySecret.salt)), .blob(ByteBuffer(bytes: c.apiKeySecret.hash)),
                    .integer(Int(now)),
                ])
            return DeviceIdentity(id: Int64(id), key: key)
        }
    }

    public func mqttCredentials(username: String) async throws -> (DeviceIdentity, SecretHash)? {
        try await lookup("c.mqtt_username = ?", username, salt: "mqtt_salt", hash: "mqtt_hash")
    }

    public func apiKeyCredentials(prefix: String) async throws -> (DeviceIdentity, SecretHash)? {
        try await lookup("c.api_key_prefix = ?", prefix, salt: "api_salt", hash: "api_hash")
    }

    private func lookup(_ condition: String, _ value: String, salt: String, hash: String) async throws -> (
        DeviceIdentity, SecretHash
    )? {
        let rows = try await store.connection.rows(
            """
            SELECT d.id AS id, t.name AS tenant, d.uid AS uid, c.\(salt) AS salt, c.\(hash) AS hash
            FROM device_credentials c JOIN devices d ON d.id = c.device_id JOIN tenants t ON t.id = d.tenant_id
            WHERE \(condition)
            """, [.text(value)])
        guard let row = rows.first, let id = row.column("id")?.integer, let tenant = row.column("tenant")?.string,
            let uid = row.column("uid")?.string, case .blob(let s)? = row.column("salt"),
            case .blob(let h)? = row.column("hash")
        else { return nil }
        return (
            DeviceIdentity(id: Int64(id), key: DeviceKey(tenant: tenant, uid: uid)),
            SecretHash(salt: Array(s.readableBytesView), hash: Array(h.readableBytesView))
        )
    }
}

/// Credential store failures.
public enum CredentialStoreError: Error, Sendable {
    case deviceNotCreated(DeviceKey)
}
