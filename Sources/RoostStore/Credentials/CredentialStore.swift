import Crypto
import Foundation

/// Device secrets in a store: set (create or rotate) and look up.
public protocol CredentialStore: Sendable {
    /// Replaces the device's credentials with `stored` (creating the device if needed).
    func setCredentials(_ key: DeviceKey, _ stored: StoredCredentials, now: Int64) async throws -> DeviceIdentity
    /// The device and its stored MQTT secret for a user name, if it is a device's.
    func mqttCredentials(username: String) async throws -> (DeviceIdentity, SecretHash)?
    /// The device and stored API key secret for an API key prefix.
    func apiKeyCredentials(prefix: String) async throws -> (DeviceIdentity, SecretHash)?
}

extension CredentialStore {
    /// Creates or rotates a device's credentials and returns them in the clear, once.
    public func issueCredentials(for key: DeviceKey, now: Int64) async throws -> (DeviceIdentity, DeviceCredentials) {
        let (credentials, stored) = DeviceCredentials.generate(for: key)
        let identity = try await setCredentials(key, stored, now: now)
        return (identity, credentials)
    }

    /// The device for an MQTT login, or nil when the user name is not a device's or the
    /// password is wrong.
    public func verifyMQTT(username: String, password: String) async throws -> DeviceIdentity? {
        guard let (identity, secret) = try await mqttCredentials(username: username), secret.verify(password) else {
            return nil
        }
        return identity
    }

    /// The device for an HTTP API key, or nil.
    public func verifyAPIKey(_ key: String) async throws -> DeviceIdentity? {
        guard key.count > 12, let (identity, secret) = try await apiKeyCredentials(prefix: String(key.prefix(12))),
            secret.verify(key)
        else { return nil }
        return identity
    }
}
