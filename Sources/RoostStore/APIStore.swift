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

/// Tenants and devices as the API manages them.
public protocol RegistryStore: Sendable {
    func tenants() async throws -> [TenantRecord]
    func tenant(id: Int64) async throws -> TenantRecord?
    /// Throws ``StoreError/conflict(_:)`` when the name is taken.
    func createTenant(name: String, now: Int64) async throws -> TenantRecord
    /// Deletes the tenant with its users, devices and their data.
    func deleteTenant(id: Int64) async throws -> Bool

    /// A page of devices and how many match in all.
    func devices(_ query: DeviceQuery) async throws -> (devices: [DeviceRecord], total: Int)
    /// The device, when it exists and (if `tenantID` is given) belongs to that tenant.
    func device(id: Int64, tenantID: Int64?) async throws -> DeviceRecord?
    /// Throws ``StoreError/conflict(_:)`` when the uid is taken in the tenant.
    func createDevice(tenantID: Int64, uid: String, name: String?, labels: String, now: Int64) async throws
        -> DeviceRecord
    func updateDevice(id: Int64, name: String?, labels: String?) async throws -> DeviceRecord?
    /// Deletes the device, its credentials and all its data (telemetry, status events, dead letters).
    func deleteDevice(id: Int64) async throws -> Bool
    /// Devices in all, and online, of a tenant or of all tenants.
    func deviceCounts(tenantID: Int64?) async throws -> (total: Int, online: Int)
}

/// Reading what the ingest stored.
public protocol TelemetryStore: Sendable {
    func history(_ query: HistoryQuery) async throws -> [TelemetryPoint]
    /// The same points as ``history(_:)``, in columns (what the API writes pages from).
    func historyPage(_ query: HistoryQuery) async throws -> HistoryPage
    /// The page of device `query.device` if it belongs to tenant `tenantID` (any tenant when
    /// nil), nil when there is no such device: the history route's lookup and read in one step.
    /// When the device's data version is `unlessVersion`, nothing is read (``HistoryRead/unchanged``):
    /// the caller's copy of the page is still the page.
    func historyPage(_ query: HistoryQuery, tenantID: Int64?, unlessVersion: Int64?) async throws -> HistoryRead?
    func aggregate(_ query: AggregateQuery) async throws -> [AggregateBucket]
    /// Newest first.
    func statusEvents(device: Int64, limit: Int) async throws -> [StatusEvent]
    /// Newest first.
    func deadLetters(device: Int64, limit: Int) async throws -> [DeadLetter]
}

extension TelemetryStore {
    /// Built from ``history(_:)``; a store may read straight into the columns instead.
    public func historyPage(_ query: HistoryQuery) async throws -> HistoryPage {
        HistoryPage(points: try await history(query))
    }
}

/// Everything the REST API reads and writes.
public typealias APIStore = UserStore & RegistryStore & TelemetryStore & RollupStore & CredentialStore

/// A store whose device credentials live in another store it holds.
public protocol CredentialForwarding: CredentialStore {
    var credentialStore: any CredentialStore { get }
}

extension CredentialForwarding {
    public func setCredentials(_ key: DeviceKey, _ stored: StoredCredentials, now: Int64) async throws -> DeviceIdentity
    {
        try await credentialStore.setCredentials(key, stored, now: now)
    }

    public func mqttCredentials(username: String) async throws -> (DeviceIdentity, SecretHash)? {
        try await credentialStore.mqttCredentials(username: username)
    }

    public func apiKeyCredentials(prefix: String) async throws -> (DeviceIdentity, SecretHash)? {
        try await credentialStore.apiKeyCredentials(prefix: prefix)
    }
}
