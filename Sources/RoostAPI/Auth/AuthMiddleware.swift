import HTTPTypes
import Hummingbird
import RoostStore

/// Reads the caller's credentials: `Authorization: Bearer <access token>` (or `?token=` for
/// browsers' WebSockets), or `Authorization: Bearer rpk_…` for a personal API key. A request
/// without credentials goes on anonymous (routes decide); one with bad credentials gets 401.
struct AuthMiddleware: RouterMiddleware {
    typealias Context = RoostRequestContext
    let tokens: TokenService
    let users: any UserStore

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var token: String?
        if let header = request.headers[.authorization] {
            guard let bearer = Self.bearer(header) else {
                throw APIError(.unauthorized, "unauthorized", "Authorization must be 'Bearer <token>'")
            }
            token = bearer
        } else if let query = request.uri.queryParameters["token"] {
            token = String(query)
        }
        guard let token, !token.isEmpty else { return try await next(request, context) }
        var context = context
        context.identity = try await Self.identity(token, tokens: tokens, users: users)
        return try await next(request, context)
    }

    /// The token of an `Authorization: Bearer <token>` header; nil for any other scheme.
    static func bearer(_ header: String) -> String? {
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        return String(parts[1]).trimmingCharacters(in: .whitespaces)
    }

    /// Who `token` (an access token or a personal API key) is; 401 when it is neither.
    static func identity(_ token: String, tokens: TokenService, users: any UserStore) async throws -> Identity
    {
        if token.hasPrefix(PersonalKeys.marker) {
            guard let identity = try await PersonalKeys.verify(token, users: users) else {
                throw APIError(.unauthorized, "unauthorized", "unknown or revoked API key")
            }
            return identity
        }
        guard let identity = await tokens.verify(accessToken: token) else {
            throw APIError(
                .unauthorized, "invalid_token", "the access token is invalid or expired; refresh it or log in")
        }
        return identity
    }
}

/// Personal API keys: `rpk_<12-character id>_<secret>`; the id finds the row, the secret is
/// checked against its salted hash.
enum PersonalKeys {
    static let marker = "rpk_"

    static func make() -> (key: String, prefix: String, secret: SecretHash) {
        let prefix = marker + TokenService.randomToken(bytes: 9).replacingOccurrences(of: "_", with: "x")
        let secret = TokenService.randomToken(bytes: 24)
        return (prefix + "_" + secret, prefix, SecretHash.make(secret))
    }

    static func verify(_ key: String, users: any UserStore) async throws -> Identity? {
        let body = key.dropFirst(marker.count)
        guard let split = body.firstIndex(of: "_") else { return nil }
        let prefix = marker + body[..<split]
        let secret = String(body[body.index(after: split)...])
        guard let record = try await users.apiKey(prefix: String(prefix)), record.secret.verify(secret),
            let owner = try await users.user(id: record.userID)
        else { return nil }
        // Never more than the owner may do now (a role can be lowered after the key was made).
        let role = owner.role.includes(record.role) ? record.role : owner.role
        let tenant = owner.role == .platformAdmin ? record.tenantID : owner.tenantID
        // A platform admin's key scoped to one tenant acts as that tenant's admin.
        let scoped = role == .platformAdmin && tenant != nil ? Role.tenantAdmin : role
        return Identity(userID: record.userID, role: scoped, tenantID: tenant, via: "api_key")
    }
}
