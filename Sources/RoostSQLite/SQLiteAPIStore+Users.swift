import NIOCore
public import RoostStore
import SQLiteNIO

/// The REST API's store over SQLite: users, sessions and keys here; registry and telemetry
/// reads in the other `SQLiteAPIStore+` files. Writes are transactions on the writer
/// connection; reads use the reader connections.
public struct SQLiteAPIStore: APIStore, CredentialForwarding {
    let store: SQLiteStore
    public let credentialStore: any CredentialStore

    /// An API store over an open SQLite store.
    public init(store: SQLiteStore) {
        self.store = store
        self.credentialStore = SQLiteCredentialStore(store: store)
    }

    static let userColumns = "id, email, name, role, tenant_id, password_hash, created_at"

    public func userCount() async throws -> Int {
        try await store.reader.rows("SELECT count(*) AS n FROM users", []).first?.column("n")?.integer ?? 0
    }

    public func createUser(email: String, name: String, role: Role, tenantID: Int64?, passwordHash: String, now: Int64)
        async throws
        -> UserRecord
    {
        let db = store.connection
        let row = try await store.transaction {
            let taken = try await db.rows("SELECT 1 FROM users WHERE email = ?", [.text(email)])
            guard taken.isEmpty else { throw StoreError.conflict("a user with email \(email) exists") }
            return try await db.rows(
                "INSERT INTO users (email, name, role, tenant_id, password_hash, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING \(Self.userColumns)",
                [
                    .text(email), .text(name), .text(role.rawValue), tenantID.sqlite, .text(passwordHash),
                    .integer(Int(now)),
                ]
            ).first
        }
        guard let row, let user = Self.user(row) else { throw StoreError.notFound("user") }
        return user
    }

    public func user(id: Int64) async throws -> UserRecord? {
        try await store.reader.rows("SELECT \(Self.userColumns) FROM users WHERE id = ?", [.integer(Int(id))]).first
            .flatMap(Self.user)
    }

    public func user(email: String) async throws -> UserRecord? {
        try await store.reader.rows("SELECT \(Self.userColumns) FROM users WHERE email = ?", [.text(email)]).first
            .flatMap(Self.user)
    }

    public func users(tenantID: Int64?) async throws -> [UserRecord] {
        let rows =
            if let tenantID {
                try await store.reader.rows(
                    "SELECT \(Self.userColumns) FROM users WHERE tenant_id = ? ORDER BY id", [.integer(Int(tenantID))])
            } else {
                try await store.reader.rows("SELECT \(Self.userColumns) FROM users ORDER BY id", [])
            }
        return rows.compactMap(Self.user)
    }

    public func updateUser(id: Int64, name: String?, role: Role?, passwordHash: String?) async throws -> UserRecord? {
        let db = store.connection
        let row = try await store.transaction {
            try await db.rows(
                """
                UPDATE users SET name = coalesce(?, name), role = coalesce(?, role), password_hash = coalesce(?, password_hash)
                WHERE id = ? RETURNING \(Self.userColumns)
                """, [name.sqlite, (role?.rawValue).sqlite, passwordHash.sqlite, .integer(Int(id))]
            ).first
        }
        return row.flatMap(Self.user)
    }

    public func deleteUser(id: Int64) async throws -> Bool {
        let db = store.connection
        return try await store.transaction {
            !(try await db.rows("DELETE FROM users WHERE id = ? RETURNING id", [.integer(Int(id))]).isEmpty)
        }
    }

    public func storeRefreshToken(hash: [UInt8], userID: Int64, expiresAt: Int64, now: Int64) async throws {
        let db = store.connection
        try await store.transaction {
            // Expired tokens of anyone go at the same time.
            _ = try await db.rows("DELETE FROM refresh_tokens WHERE expires_at < ?", [.integer(Int(now))])
            _ = try await db.rows(
                "INSERT INTO refresh_tokens (token_hash, user_id, expires_at, created_at) VALUES (?, ?, ?, ?)",
                [.blob(ByteBuffer(bytes: hash)), .integer(Int(userID)), .integer(Int(expiresAt)), .integer(Int(now))])
        }
    }

    public func takeRefreshToken(hash: [UInt8]) async throws -> (userID: Int64, expiresAt: Int64)? {
        let db = store.connection
        let row = try await store.transaction {
            try await db.rows(
                "DELETE FROM refresh_tokens WHERE token_hash = ? RETURNING user_id, expires_at",
                [.blob(ByteBuffer(bytes: hash))]
            ).first
        }
        guard let row, let user = row.column("user_id")?.integer, let expires = row.column("expires_at")?.integer else {
            return nil
        }
        return (Int64(user), Int64(expires))
    }

    public func revokeRefreshTokens(userID: Int64) async throws {
        let db = store.connection
        try await store.transaction {
            _ = try await db.rows("DELETE FROM refresh_tokens WHERE user_id = ?", [.integer(Int(userID))])
        }
    }

    static let keyColumns = "id, prefix, name, user_id, tenant_id, role, salt, hash, created_at"

    public func createAPIKey(
        prefix: String, name: String, userID: Int64, tenantID: Int64?, role: Role, secret: SecretHash, now: Int64
    ) async throws -> APIKeyRecord {
        let db = store.connection
        let row = try await store.transaction {
            guard try await db.rows("SELECT 1 FROM api_keys WHERE prefix = ?", [.text(prefix)]).isEmpty else {
                throw StoreError.conflict("key prefix taken")
            }
            return try await db.rows(
                "INSERT INTO api_keys (prefix, name, user_id, tenant_id, role, salt, hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING \(Self.keyColumns)",
                [
                    .text(prefix), .text(name), .integer(Int(userID)), tenantID.sqlite, .text(role.rawValue),
                    .blob(ByteBuffer(bytes: secret.salt)), .blob(ByteBuffer(bytes: secret.hash)), .integer(Int(now)),
                ]
            ).first
        }
        guard let row, let key = Self.apiKey(row) else { throw StoreError.notFound("api key") }
        return key
    }

    public func apiKey(prefix: String) async throws -> APIKeyRecord? {
        try await store.reader.rows("SELECT \(Self.keyColumns) FROM api_keys WHERE prefix = ?", [.text(prefix)]).first
            .flatMap(Self.apiKey)
    }

    public func apiKeys(userID: Int64) async throws -> [APIKeyRecord] {
        try await store.reader.rows(
            "SELECT \(Self.keyColumns) FROM api_keys WHERE user_id = ? ORDER BY id", [.integer(Int(userID))]
        )
        .compactMap(Self.apiKey)
    }

    public func deleteAPIKey(id: Int64, userID: Int64) async throws -> Bool {
        let db = store.connection
        return try await store.transaction {
            !(try await db.rows(
                "DELETE FROM api_keys WHERE id = ? AND user_id = ? RETURNING id",
                [.integer(Int(id)), .integer(Int(userID))]
            ).isEmpty)
        }
    }

    static func user(_ row: SQLiteRow) -> UserRecord? {
        guard let id = row.column("id")?.integer, let email = row.column("email")?.string,
            let role = row.column("role")?.string.flatMap(Role.init(rawValue:)),
            let hash = row.column("password_hash")?.string,
            let created = row.column("created_at")?.integer
        else { return nil }
        return UserRecord(
            id: Int64(id), email: email, name: row.column("name")?.string ?? "", role: role,
            tenantID: row.column("tenant_id")?.integer.map(Int64.init), passwordHash: hash, createdAt: Int64(created))
    }

    static func apiKey(_ row: SQLiteRow) -> APIKeyRecord? {
        guard let id = row.column("id")?.integer, let prefix = row.column("prefix")?.string,
            let user = row.column("user_id")?.integer,
            let role = row.column("role")?.string.flatMap(Role.init(rawValue:)),
            case .blob(let salt)? = row.column("salt"),
            case .blob(let hash)? = row.column("hash"), let created = row.column("created_at")?.integer
        else { return nil }
        return APIKeyRecord(
            id: Int64(id), prefix: prefix, name: row.column("name")?.string ?? "", userID: Int64(user),
            tenantID: row.column("tenant_id")?.integer.map(Int64.init), role: role,
            secret: SecretHash(salt: Array(salt.readableBytesView), hash: Array(hash.readableBytesView)),
            createdAt: Int64(created))
    }
}

extension Optional where Wrapped == Int64 {
    var sqlite: SQLiteData { map { .integer(Int($0)) } ?? .null }
}

extension Optional where Wrapped == String {
    var sqlite: SQLiteData { map { .text($0) } ?? .null }
}
