import Crypto
import Foundation

/// A device's secrets as handed out once at creation or rotation; only hashes are stored.
public struct DeviceCredentials: Sendable, Hashable, Codable {
    /// MQTT user name: unique across the installation.
    public var mqttUsername: String
    /// MQTT password: a random token.
    public var mqttPassword: String
    /// Key for HTTP ingest (`X-API-Key`).
    public var apiKey: String

    enum CodingKeys: String, CodingKey {
        case mqttUsername = "mqtt_username"
        case mqttPassword = "mqtt_password"
        case apiKey = "api_key"
    }
}

/// What a store keeps of a device's secrets.
public struct StoredCredentials: Sendable, Hashable {
    public var mqttUsername: String
    public var mqttSecret: SecretHash
    /// The first characters of the API key, to find its row without storing the key.
    public var apiKeyPrefix: String
    public var apiKeySecret: SecretHash

    public init(mqttUsername: String, mqttSecret: SecretHash, apiKeyPrefix: String, apiKeySecret: SecretHash) {
        self.mqttUsername = mqttUsername
        self.mqttSecret = mqttSecret
        self.apiKeyPrefix = apiKeyPrefix
        self.apiKeySecret = apiKeySecret
    }
}

/// A salted SHA-256 of a random token. Device secrets are 128-bit random tokens, not
/// passwords people choose, so a fast hash is enough (a slow one like bcrypt would only cost
/// every CONNECT); user passwords use bcrypt.
public struct SecretHash: Sendable, Hashable {
    public var salt: [UInt8]
    public var hash: [UInt8]

    public init(salt: [UInt8], hash: [UInt8]) {
        self.salt = salt
        self.hash = hash
    }

    /// Hashes `secret` with a fresh random salt.
    public static func make(_ secret: String) -> SecretHash {
        let salt = (0..<16).map { _ in UInt8.random(in: 0...255) }
        return SecretHash(salt: salt, hash: digest(salt: salt, secret: secret))
    }

    /// `true` when `secret` is the one hashed (constant-time comparison).
    public func verify(_ secret: String) -> Bool {
        let candidate = Self.digest(salt: salt, secret: secret)
        guard candidate.count == hash.count else { return false }
        var difference: UInt8 = 0
        for (a, b) in zip(candidate, hash) { difference |= a ^ b }
        return difference == 0
    }

    static func digest(salt: [UInt8], secret: String) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(data: salt)
        hasher.update(data: Array(secret.utf8))
        return Array(hasher.finalize())
    }
}

extension DeviceCredentials {
    /// Fresh credentials for a device: user name from its tenant and uid plus a random suffix
    /// (so re-creating a device never reuses a name), and random tokens.
    public static func generate(for key: DeviceKey) -> (DeviceCredentials, StoredCredentials) {
        let username = "\(key.tenant).\(key.uid).\(token(bytes: 4))"
        let password = token(bytes: 24)
        let apiKey = "rk_" + token(bytes: 24)
        let stored = StoredCredentials(
            mqttUsername: username, mqttSecret: .make(password), apiKeyPrefix: String(apiKey.prefix(12)),
            apiKeySecret: .make(apiKey))
        return (DeviceCredentials(mqttUsername: username, mqttPassword: password, apiKey: apiKey), stored)
    }

    /// URL-safe base64 of random bytes.
    static func token(bytes: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        let raw = (0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(raw).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// A device a credential belongs to.
public struct DeviceIdentity: Sendable, Hashable {
    public var id: Int64
    public var key: DeviceKey

    public init(id: Int64, key: DeviceKey) {
        self.id = id
        self.key = key
    }
}

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
