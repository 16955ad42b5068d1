import Crypto
import Foundation
import HummingbirdBcrypt
import JWTKit
import NIOPosix
import RoostStore

/// The claims of an access token: who (`sub`), which role and tenant, until when.
struct AccessClaims: JWTPayload {
    var sub: SubjectClaim
    var exp: ExpirationClaim
    var iat: IssuedAtClaim
    var role: String
    var tid: Int64?

    func verify(using algorithm: some JWTAlgorithm) throws {
        try exp.verifyNotExpired()
    }
}

/// Issues and checks credentials of people: HS256 access tokens (short-lived), opaque refresh
/// tokens (stored as SHA-256, used once, revocable), personal API keys, bcrypt passwords.
public final class TokenService: Sendable {
    let keys: JWTKeyCollection
    /// Access token lifetime in seconds.
    public let accessTTL: Int64
    /// Refresh token lifetime in seconds.
    public let refreshTTL: Int64
    /// bcrypt cost (work factor 2^cost).
    public let bcryptCost: UInt8

    private init(keys: JWTKeyCollection, accessTTL: Int64, refreshTTL: Int64, bcryptCost: UInt8) {
        self.keys = keys
        self.accessTTL = accessTTL
        self.refreshTTL = refreshTTL
        self.bcryptCost = bcryptCost
        self.dummyHash = Bcrypt.hash(TokenService.randomToken(bytes: 16), cost: bcryptCost)
    }

    /// A service signing with `secret` (at least 32 bytes).
    public static func make(
        secret: [UInt8], accessTTL: Int64 = 900, refreshTTL: Int64 = 30 * 86_400, bcryptCost: UInt8 = 10
    ) async
        -> TokenService
    {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(key: SymmetricKey(data: secret)), digestAlgorithm: .sha256)
        return TokenService(keys: keys, accessTTL: accessTTL, refreshTTL: refreshTTL, bcryptCost: bcryptCost)
    }

    /// The signing secret from `configured` (text, at least 32 characters), else the one kept in
    /// `dataDir/jwt.key`, else a new random one written there (mode 0600).
    public static func secret(configured: String?, dataDir: String) throws -> [UInt8] {
        if let configured {
            guard configured.utf8.count >= 32 else {
                throw TokenServiceError("the JWT secret must be at least 32 characters")
            }
            return Array(configured.utf8)
        }
        let path = dataDir + "/jwt.key"
        if let existing = FileManager.default.contents(atPath: path), existing.count >= 32 { return Array(existing) }
        let fresh = (0..<64).map { _ in UInt8.random(in: 0...255) }
        guard
            FileManager.default.createFile(atPath: path, contents: Data(fresh), attributes: [.posixPermissions: 0o600])
        else {
            throw TokenServiceError("cannot write \(path)")
        }
        return fresh
    }

    /// A signed access token for `user`.
    func accessToken(for user: UserRecord, now: Date = Date()) async throws -> String {
        let claims = AccessClaims(
            sub: .init(value: String(user.id)), exp: .init(value: now.addingTimeInterval(Double(accessTTL))),
            iat: .init(value: now),
            role: user.role.rawValue, tid: user.tenantID)
        return try await keys.sign(claims)
    }

    /// The identity in a valid, unexpired access token; nil otherwise.
    func verify(accessToken token: String) async -> Identity? {
        guard let claims = try? await keys.verify(token, as: AccessClaims.self), let id = Int64(claims.sub.value),
            let role = Role(rawValue: claims.role)
        else { return nil }
        return Identity(
            userID: id, role: role, tenantID: claims.tid, via: "jwt",
            expiresAt: Int64(claims.exp.value.timeIntervalSince1970 * 1000))
    }

    /// A new random refresh token and the hash to store.
    static func newRefreshToken() -> (token: String, hash: [UInt8]) {
        let token = "rt_" + randomToken(bytes: 32)
        return (token, sha256(token))
    }

    static func sha256(_ text: String) -> [UInt8] { Array(SHA256.hash(data: Array(text.utf8))) }

    /// URL-safe base64 of random bytes.
    static func randomToken(bytes: Int) -> String {
        let data = Data((0..<bytes).map { _ in UInt8.random(in: 0...255) })
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(
            of: "/", with: "_"
        )
        .replacingOccurrences(of: "=", with: "")
    }

    /// A bcrypt hash of a secret no one knows, checked against for unknown emails.
    let dummyHash: String

    /// bcrypt off the event loops.
    func hashPassword(_ password: String) async throws -> String {
        let cost = bcryptCost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    func verifyPassword(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }
}

/// A configuration problem of the token service.
public struct TokenServiceError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
