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
