import Logging
import NIOCore
import PostgresNIO
public import RoostStore

/// The REST API's store over PostgreSQL: users, sessions and keys here; registry and telemetry
/// reads in the other `PostgresAPIStore+` files.
public struct PostgresAPIStore: APIStore, CredentialForwarding {
    let store: PostgresStore
    public let credentialStore: any CredentialStore

    /// An API store over a running PostgreSQL store.
    public init(store: PostgresStore) {
        self.store = store
        self.credentialStore = PostgresCredentialStore(store: store)
    }

    var client: PostgresClient { store.client }
    var logger: Logger { store.logger }

    typealias UserRow = (Int64, String, String, String, Int64?, String, Int64)
    static let userColumns = "id, email, name, role, tenant_id, password_hash, created_at"

    func users(_ query: PostgresQuery) async throws -> [UserRecord] {
        var result: [UserRecord] = []
        for try await row in try await client.query(query, logger: logger).decode(UserRow.self) {
            guard let role = Role(rawValue: row.3) else { continue }
            result.append(
                UserRecord(
                    id: row.0, email: row.1, name: row.2, role: role, tenantID: row.4, passwordHash: row.5,
                    createdAt: row.6))
        }
        return result
    }

    /// Maps PostgreSQL's unique violation to ``StoreError/conflict(_:)``.
    func conflicts<T>(_ what: String, _ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch  where PostgresIngestStore.isUniqueViolation(error) {
            throw StoreError.conflict(what)
        }
    }

    public func userCount() async throws -> Int {
        var n = 0
        for try await c in try await client.query("SELECT count(*)::bigint FROM users", logger: logger).decode(
            Int64.self)
        { n = Int(c) }
        return n
    }

    public func createUser(email: String, name: String, role: Role, tenantID: Int64?, passwordHash: String, now: Int64)
        async throws
        -> UserRecord
    {
        let created = try await conflicts("a user with email \(email) exists") {
            try await users(
                """
                INSERT INTO users (email, name, role, tenant_id, password_hash, created_at)
                VALUES (\(email), \(name), \(role.rawValue), \(tenantID), \(passwordHash), \(now))
                RETURNING \(unescaped: Self.userColumns)
                """)
        }
        guard let user = created.first else { throw StoreError.notFound("user") }
        return user
    }

    public func user(id: Int64) async throws -> UserRecord? {
        try await users("SELECT \(unescaped: Self.userColumns) FROM users WHERE id = \(id)").first
    }

    public func user(email: String) async throws -> UserRecord? {
        try await users("SELECT \(unescaped: Self.userColumns) FROM users WHERE email = \(email)").first
    }

    public func users(tenantID: Int64?) async throws -> [UserRecord] {
        try await users(
            "SELECT \(unescaped: Self.userColumns) FROM users WHERE \(tenantID)::bigint IS NULL OR tenant_id = \(tenantID) ORDER BY id"
        )
    }

    public func updateUser(id: Int64, name: String?, role: Role?, passwordHash: String?) async throws -> UserRecord? {
        try await users(
            """
            UPDATE users SET name = coalesce(\(name), name), role = coalesce(\(role?.rawValue), role),
                password_hash = coalesce(\(passwordHash), password_hash)
            WHERE id = \(id) RETURNING \(unescaped: Self.userColumns)
            """
        ).first
    }

    public func deleteUser(id: Int64) async throws -> Bool {
        try await exists("DELETE FROM users WHERE id = \(id) RETURNING id")
    }

    /// `true` when the statement returned a row.
    func exists(_ query: PostgresQuery) async throws -> Bool {
        var found = false
        for try await _ in try await client.query(query, logger: logger) { found = true }
        return found
    }

    public func storeRefreshToken(hash: [UInt8], userID: Int64, expiresAt: Int64, now: Int64) async throws {
        try await client.withTransaction(logger: logger) { conn in
            try await conn.query("DELETE FROM refresh_tokens WHERE expires_at < \(now)", logger: logger)
            try await conn.query(
                """
                INSERT INTO refresh_tokens (token_hash, user_id, expires_at, created_at)
                VALUES (\(ByteBuffer(bytes: hash)), \(userID), \(expiresAt), \(now))
                """, logger: logger)
        }
    }

    public func takeRefreshToken(hash: [UInt8]) async throws -> (userID: Int64, expiresAt: Int64)? {
        let rows = try await client.query(
            "DELETE FROM refresh_tokens WHERE token_hash = \(ByteBuffer(bytes: hash)) RETURNING user_id, expires_at",
            logger: logger)
        for try await (user, expires) in rows.decode((Int64, Int64).self) { return (user, expires) }
        return nil
    }

    public func revokeRefreshTokens(userID: Int64) async throws {
        try await client.query("DELETE FROM refresh_tokens WHERE user_id = \(userID)", logger: logger)
    }

    static let keyColumns = "id, prefix, name, user_id, tenant_id, role, salt, hash, created_at"

    func keys(_ query: PostgresQuery) async throws -> [APIKeyRecord] {
        var result: [APIKeyRecord] = []
        let rows = try await client.query(query, logger: logger)
        for try await r in rows.decode(
            (Int64, String, String, Int64, Int64?, String, ByteBuffer, ByteBuffer, Int64).self)
        {
            guard let role = Role(rawValue: r.5) else { continue }
            result.append(
                APIKeyRecord(
                    id: r.0, prefix: r.1, name: r.2, userID: r.3, tenantID: r.4, role: role,
                    secret: SecretHash(salt: Array(r.6.readableBytesView), hash: Array(r.7.readableBytesView)),
                    createdAt: r.8))
        }
        return result
    }

    public func createAPIKey(
        prefix: String, name: String, userID: Int64, tenantID: Int64?, role: Role, secret: SecretHash, now: Int64
    ) async throws -> APIKeyRecord {
        let created = try await conflicts("key prefix taken") {
            try await keys(
                """
                INSERT INTO api_keys (prefix, name, user_id, tenant_id, role, salt, hash, created_at)
                VALUES (\(prefix), \(name), \(userID), \(tenantID), \(role.rawValue), \(ByteBuffer(bytes: secret.salt)),
                    \(ByteBuffer(bytes: secret.hash)), \(now))
                RETURNING \(unescaped: Self.keyColumns)
                """)
        }
        guard let key = created.first else { throw StoreError.notFound("api key") }
        return key
    }

    public func apiKey(prefix: String) async throws -> APIKeyRecord? {
        try await keys("SELECT \(unescaped: Self.keyColumns) FROM api_keys WHERE prefix = \(prefix)").first
    }

    public func apiKeys(userID: Int64) async throws -> [APIKeyRecord] {
        try await keys("SELECT \(unescaped: Self.keyColumns) FROM api_keys WHERE user_id = \(userID) ORDER BY id")
    }

    public func deleteAPIKey(id: Int64, userID: Int64) async throws -> Bool {
        try await exists("DELETE FROM api_keys WHERE id = \(id) AND user_id = \(userID) RETURNING id")
    }
}
