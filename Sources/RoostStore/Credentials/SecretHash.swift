import Crypto
import Foundation

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
