/// Users, sessions and personal API keys: what authentication needs.
public protocol UserStore: Sendable {
    /// How many users exist (the first start creates the admin when there are none).
    func userCount() async throws -> Int
    /// Throws ``StoreError/conflict(_:)`` when the email is taken.
    func createUser(email: String, name: String, role: Role, tenantID: Int64?, passwordHash: String, now: Int64)
        async throws
        -> UserRecord
    func user(id: Int64) async throws -> UserRecord?
    func user(email: String) async throws -> UserRecord?
    /// Users of one tenant, or every user when `tenantID` is nil.
    func users(tenantID: Int64?) async throws -> [UserRecord]
    /// Changes what is given; returns the user as stored, nil when there is no such user.
    func updateUser(id: Int64, name: String?, role: Role?, passwordHash: String?) async throws -> UserRecord?
    func deleteUser(id: Int64) async throws -> Bool

    /// Keeps the SHA-256 of a refresh token.
    func storeRefreshToken(hash: [UInt8], userID: Int64, expiresAt: Int64, now: Int64) async throws
    /// Removes the token and returns whose it was (a refresh token is used once).
    func takeRefreshToken(hash: [UInt8]) async throws -> (userID: Int64, expiresAt: Int64)?
    /// Removes every refresh token of a user (logout everywhere, password change).
    func revokeRefreshTokens(userID: Int64) async throws

    /// Throws ``StoreError/conflict(_:)`` when the prefix is taken.
    func createAPIKey(
        prefix: String, name: String, userID: Int64, tenantID: Int64?, role: Role, secret: SecretHash, now: Int64
    ) async throws
        -> APIKeyRecord
    func apiKey(prefix: String) async throws -> APIKeyRecord?
    func apiKeys(userID: Int64) async throws -> [APIKeyRecord]
    func deleteAPIKey(id: Int64, userID: Int64) async throws -> Bool
}
