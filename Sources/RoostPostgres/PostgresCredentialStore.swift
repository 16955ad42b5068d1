import NIOCore
import PostgresNIO
public import RoostStore

/// Device credentials in PostgreSQL.
public struct PostgresCredentialStore: CredentialStore {
    let store: PostgresStore

    public init(store: PostgresStore) {
        self.store = store
    }

    public func setCredentials(_ key: DeviceKey, _ c: StoredCredentials, now: Int64) async throws -> DeviceIdentity {
        let logger = store.logger
        return try await store.client.withTransaction(logger: logger) { conn in
            try await conn.query(
                "INSERT INTO tenants (name, created_at) VALUES (\(key.tenant), \(now)) ON CONFLICT (name) DO NOTHING",
                logger: logger)
            try await conn.query(
                """
                INSERT INTO devices (tenant_id, uid, created_at) SELECT id, \(key.uid), \(now) FROM tenants WHERE name = \(key.tenant)
                ON CONFLICT (tenant_id, uid) DO NOTHING
                """, logger: logger)
            var deviceID: Int64?
            for try await id in try await conn.query(
                "SELECT d.id FROM devices d JOIN tenants t ON t.id = d.tenant_id WHERE t.name = \(key.tenant) AND d.uid = \(key.uid)",
                logger: logger
            ).decode(Int64.self) { deviceID = id }
            guard let deviceID else { throw PostgresCredentialError.deviceNotCreated(key) }
            try await conn.query(
                """
                INSERT INTO device_credentials
                    (device_id, mqtt_username, mqtt_salt, mqtt_hash, api_key_prefix, api_salt, api_hash, updated_at)
                VALUES (\(deviceID), \(c.mqttUsername), \(ByteBuffer(bytes: c.mqttSecret.salt)), \(ByteBuffer(bytes: c.mqttSecret.hash)),
                        \(c.apiKeyPrefix), \(ByteBuffer(bytes: c.apiKeySecret.salt)), \(ByteBuffer(bytes: c.apiKeySecret.hash)), \(now))
                ON CONFLICT (device_id) DO UPDATE SET mqtt_username = excluded.mqtt_username, mqtt_salt = excluded.mqtt_salt,
                    mqtt_hash = excluded.mqtt_hash, api_key_prefix = excluded.api_key_prefix, api_salt = excluded.api_salt,
                    api_hash = excluded.api_hash, updated_at = excluded.updated_at
                """, logger: logger)
            return DeviceIdentity(id: deviceID, key: key)
        }
    }

    public func mqttCredentials(username: String) async throws -> (DeviceIdentity, SecretHash)? {
        try await lookup(
            """
            SELECT d.id, t.name, d.uid, c.mqtt_salt, c.mqtt_hash
            FROM device_credentials c JOIN devices d ON d.id = c.device_id JOIN tenants t ON t.id = d.tenant_id
            WHERE c.mqtt_username = \(username)
            """)
    }

    public func apiKeyCredentials(prefix: String) async throws -> (DeviceIdentity, SecretHash)? {
        try await lookup(
            """
            SELECT d.id, t.name, d.uid, c.api_salt, c.api_hash
            FROM device_credentials c JOIN devices d ON d.id = c.device_id JOIN tenants t ON t.id = d.tenant_id
            WHERE c.api_key_prefix = \(prefix)
            """)
    }

    private func lookup(_ query: PostgresQuery) async throws -> (DeviceIdentity, SecretHash)? {
        try await Self.first(try await store.client.query(query, logger: store.logger))
    }

    private static func first(_ rows: PostgresRowSequence) async throws -> (DeviceIdentity, SecretHash)? {
        for try await (id, tenant, uid, salt, hash) in rows.decode((Int64, String, String, ByteBuffer, ByteBuffer).self)
        {
            return (
                DeviceIdentity(id: id, key: DeviceKey(tenant: tenant, uid: uid)),
                SecretHash(salt: Array(salt.readableBytesView), hash: Array(hash.readableBytesView))
            )
        }
        return nil
    }
}

/// Credential store failures.
public enum PostgresCredentialError: Error, Sendable {
    case deviceNotCreated(DeviceKey)
}
