import Foundation
import HTTPTypes
import Hummingbird
import RoostJSON
import RoostStore

/// `/auth/login`, `/auth/refresh`, `/auth/logout`, `/me` and personal API keys.
struct AuthRoutes {
    let api: RoostAPI

    func register(on group: APIGroup) {
        group.post("/auth/login") { request, context in try await login(request, context) }
        group.post("/auth/refresh") { request, context in try await refresh(request, context) }
        group.post("/auth/logout") { request, context in try await logout(request, context) }
        group.get("/me") { _, context in
            let identity = try context.require(.viewer)
            guard let user = try await api.store.user(id: identity.userID) else { throw APIError.notFound("user") }
            return Response.json(Views.user(user))
        }
        group.get("/me/api-keys") { _, context in
            let identity = try context.require(.viewer)
            let keys = try await api.store.apiKeys(userID: identity.userID)
            return Response.json(.object([JSONMember("items", .array(keys.map(Views.apiKey)))]))
        }
        group.post("/me/api-keys") { request, context in try await createKey(request, context) }
        group.delete("/me/api-keys/{id}") { _, context in
            let identity = try context.require(.viewer)
            let id = try context.parameters.require("id", as: Int64.self)
            guard try await api.store.deleteAPIKey(id: id, userID: identity.userID) else {
                throw APIError.notFound("API key")
            }
            return Response.noContent
        }
    }

    static func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    private func login(_ request: Request, _ context: RoostRequestContext) async throws -> Response {
        let body = try await JSONBody.read(request, context: context, limit: 16 << 10)
        let email = try body.string("email", required: true)!.lowercased()
        let password = try body.string("password", required: true, maxLength: 1024)!
        if let wait = api.limiter.check(address: context.remoteAddress, account: email) {
            throw APIError(
                .tooManyRequests, "rate_limited", "too many login attempts; retry in \(wait) s",
                details: ["retry_after": "\(wait)"],
                headers: [.retryAfter: "\(wait)"])
        }
        let user = try await api.store.user(email: email)
        // An unknown email costs the same bcrypt as a known one: timing tells nothing.
        let valid = try await api.tokens.verifyPassword(password, hash: user?.passwordHash ?? api.tokens.dummyHash)
        guard let user, valid else {
            api.limiter.failed(account: email)
            context.logger.notice(
                "login failed", metadata: ["email": "\(email)", "address": "\(context.remoteAddress)"])
            throw APIError(.unauthorized, "invalid_credentials", "wrong email or password")
        }
        api.limiter.succeeded(account: email)
        return try await tokenPair(for: user)
    }

    private func tokenPair(for user: UserRecord) async throws -> Response {
        let access = try await api.tokens.accessToken(for: user)
        let (refresh, hash) = TokenService.newRefreshToken()
        let now = Self.now()
        try await api.store.storeRefreshToken(
            hash: hash, userID: user.id, expiresAt: now + api.tokens.refreshTTL * 1000, now: now)
        return Response.json(
            .object([
                JSONMember("access_token", .string(access)), JSONMember("refresh_token", .string(refresh)),
                JSONMember("token_type", .string("bearer")),
                JSONMember("expires_in", .number(Double(api.tokens.accessTTL))),
            ]))
    }

    private func refresh(_ request: Request, _ context: RoostRequestContext) async throws -> Response {
        let body = try await JSONBody.read(request, context: context, limit: 16 << 10)
        let token = try body.string("refresh_token", required: true, maxLength: 512)!
        // Used once: the old token is gone whatever happens next.
        guard let taken = try await api.store.takeRefreshToken(hash: TokenService.sha256(token)),
            taken.expiresAt > Self.now(),
            let user = try await api.store.user(id: taken.userID)
        else {
            throw APIError(
                .unauthorized, "invalid_refresh_token", "the refresh token is unknown, used or expired; log in again")
        }
        return try await tokenPair(for: user)
    }

    private func logout(_ request: Request, _ context: RoostRequestContext) async throws -> Response {
        let body = try await JSONBody.read(request, context: context, limit: 16 << 10)
        if let token = try body.string("refresh_token", maxLength: 512) {
            _ = try await api.store.takeRefreshToken(hash: TokenService.sha256(token))
        }
        if body.members["all"] == .bool(true) {
            let identity = try context.require(.viewer)
            try await api.store.revokeRefreshTokens(userID: identity.userID)
        }
        return Response.noContent
    }

    private func createKey(_ request: Request, _ context: RoostRequestContext) async throws -> Response {
        let identity = try context.require(.viewer)
        let body = try await JSONBody.read(request, context: context)
        let name = try body.string("name", required: true, maxLength: 100)!
        var role = identity.role
        if let text = try body.string("role") {
            guard let asked = Role(rawValue: text) else {
                throw APIError.invalid("role must be one of \(Role.allCases.map(\.rawValue))", field: "role")
            }
            guard identity.role.includes(asked) else {
                throw APIError(.forbidden, "forbidden", "a key cannot have more rights than you")
            }
            role = asked
        }
        var tenant = identity.tenantID
        if identity.role == .platformAdmin, let n = try body.integer("tenant_id") {
            guard try await api.store.tenant(id: n) != nil else {
                throw APIError.invalid("no such tenant", field: "tenant_id")
            }
            tenant = n
            if role == .platformAdmin { role = .tenantAdmin }
        }
        let (key, prefix, secret) = PersonalKeys.make()
        let record = try await api.store.createAPIKey(
            prefix: prefix, name: name, userID: identity.userID, tenantID: tenant, role: role, secret: secret,
            now: Self.now())
        guard case .object(var members) = Views.apiKey(record) else {
            return Response.json(Views.apiKey(record), status: .created)
        }
        members.append(JSONMember("key", .string(key)))
        return Response.json(.object(members), status: .created)
    }
}
