import Crypto
import Foundation

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
