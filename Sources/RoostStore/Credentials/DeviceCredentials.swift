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
