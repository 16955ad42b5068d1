import HTTPTypes
import Hummingbird
import RoostJSON
import RoostStore

/// Tenants (platform admins) and users (tenant admins for their tenant). Another tenant's
/// objects are answered with 404, as if they did not exist.
struct AdminRoutes {
    let api: RoostAPI

    func register(on group: APIGroup) {
        group.get("/tenants") { _, context in
            let identity = try context.require(.viewer)
            let all = try await api.store.tenants()
            let visible = identity.role == .platformAdmin ? all : all.filter { $0.id == identity.tenantID }
            return Response.json(.object([JSONMember("items", .array(visible.map(Views.tenant)))]))
        }
        group.post("/tenants") { request, context in
            _ = try context.require(.platformAdmin)
            let body = try await JSONBody.read(request, context: context)
            let name = try body.string("name", required: true, maxLength: 64)!
            try Self.validateTopicLevel(name, field: "name")
            let tenant = try await conflictIs409 { try await api.store.createTenant(name: name, now: AuthRoutes.now()) }
            return Response.json(Views.tenant(tenant), status: .created)
        }
        group.get("/tenants/{id}") { _, context in
            let identity = try context.require(.viewer)
            return Response.json(Views.tenant(try await visibleTenant(context, identity)))
        }
        group.delete("/tenants/{id}") { _, context in
            let identity = try context.require(.viewer)
            let id = try context.parameters.require("id", as: Int64.self)
            // Another tenant does not exist for a tenant's users; their own they may not delete.
            guard identity.role == .platformAdmin || identity.tenantID == id else {
                throw APIError.notFound("tenant")
            }
            _ = try context.require(.platformAdmin)
            let name = try await api.store.tenants().first { $0.id == id }?.name
            guard try await api.store.deleteTenant(id: id) else { throw APIError.notFound("tenant") }
            api.ingest?.forgetDevices()
            if let name { await api.revokeLogins(tenant: name, uid: nil) }
            // Its rules and devices went with it.
            try? await api.alerts?.reload()
            return Response.noContent
        }
        group.get("/users") { request, context in
            let identity = try context.require(.tenantAdmin)
            let requested = try Query(request: request).string("tenant_id").map { text throws(APIError) -> Int64 in
                guard let id = Int64(text) else {
                    throw APIError.badRequest("tenant_id must be an integer", field: "tenant_id")
                }
                return id
            }
            let users = try await api.store.users(tenantID: context.scope(identity, requested: requested))
            return Response.json(.object([JSONMember("items", .array(users.map(Views.user)))]))
        }
        group.post("/users") { request, context in try await createUser(request, context) }
        group.get("/users/{id}") { _, context in
            let identity = try context.require(.viewer)
            return Response.json(Views.user(try await visibleUser(context, identity)))
        }
        group.patch("/users/{id}") { request, context in try await updateUser(request, context) }
        group.delete("/users/{id}") { _, context in
            let identity = try context.require(.tenantAdmin)
            let user = try await visibleUser(context, identity)
            guard user.id != identity.userID else {
                throw APIError(.conflict, "conflict", "you cannot delete yourself")
            }
            guard identity.role.includes(user.role) else {
                throw APIError(.forbidden, "forbidden", "this user has more rights than you")
            }
            _ = try await api.store.deleteUser(id: user.id)
            return Response.noContent
        }
    }

    private func visibleTenant(_ context: RoostRequestContext, _ identity: Identity) async throws -> TenantRecord {
        let id = try context.parameters.require("id", as: Int64.self)
        guard identity.role == .platformAdmin || identity.tenantID == id,
            let tenant = try await api.store.tenant(id: id)
        else {
            throw APIError.notFound("tenant")
        }
        return tenant
    }

    /// A user the caller may see: itself, anyone of its tenant (tenant admins), anyone (platform admins).
    private func visibleUser(_ context: RoostRequestContext, _ identity: Identity) async throws -> UserRecord {
        let id = try context.parameters.require("id", as: Int64.self)
        guard let user = try await api.store.user(id: id) else { throw APIError.notFound("user") }
        let visible =
            identity.role == .platformAdmin || user.id == identity.userID
            || (identity.role == .tenantAdmin && user.tenantID != nil && user.tenantID == identity.tenantID)
        guard visible else { throw APIError.notFound("user") }
        return user
    }

    private func createUser(_ request: Request, _ context: RoostRequestContext) async throws -> Response {
        let identity = try context.require(.tenantAdmin)
        let body = try await JSONBody.read(request, context: context)
        let email = try body.string("email", required: true)!.lowercased()
        guard email.contains("@"), !email.hasPrefix("@"), !email.hasSuffix("@") else {
            throw APIError.invalid("email is not an email address", field: "email")
        }
        let password = try Self.password(body)
        guard let password else { throw APIError.invalid("password is required", field: "password") }
        let role = try Self.role(body) ?? .viewer
        guard identity.role.includes(role) else {
            throw APIError(.forbidden, "forbidden", "you cannot grant more rights than you have")
        }
        var tenant = identity.tenantID
        if identity.role == .platformAdmin {
            if let n = try body.integer("tenant_id") { tenant = n }
            if role == .platformAdmin { tenant = nil }
            guard role == .platformAdmin || tenant != nil else {
                throw APIError.invalid("tenant_id is required for this role", field: "tenant_id")
            }
            if let tenant, try await api.store.tenant(id: tenant) == nil {
                throw APIError.invalid("no such tenant", field: "tenant_id")
            }
        }
        let hash = try await api.tokens.hashPassword(password)
        let user = try await conflictIs409 {
            try await api.store.createUser(
                email: email, name: try body.string("name", maxLength: 100) ?? "", role: role, tenantID: tenant,
                passwordHash: hash,
                now: AuthRoutes.now())
        }
        return Response.json(Views.user(user), status: .created)
    }

    private func updateUser(_ request: Request, _ context: RoostRequestContext) async throws -> Response {
        let identity = try context.require(.viewer)
        let user = try await visibleUser(context, identity)
        let body = try await JSONBody.read(request, context: context)
        let role = try Self.role(body)
        if let role, role != user.role {
            guard identity.role.includes(.tenantAdmin), user.id != identity.userID else {
                throw APIError(.forbidden, "forbidden", "only an admin may change another user's role")
            }
            guard identity.role.includes(role), identity.role.includes(user.role) else {
                throw APIError(.forbidden, "forbidden", "you cannot grant more rights than you have")
            }
            guard (role == .platformAdmin) == (user.tenantID == nil) else {
                throw APIError.invalid(
                    "platform admins have no tenant; tenant users cannot be platform admins", field: "role")
            }
        }
        let password = try Self.password(body)
        let hash: String? = if let password { try await api.tokens.hashPassword(password) } else { nil }
        guard
            let updated = try await api.store.updateUser(
                id: user.id, name: try body.string("name", maxLength: 100), role: role, passwordHash: hash)
        else { throw APIError.notFound("user") }
        if hash != nil { try await api.store.revokeRefreshTokens(userID: user.id) }
        return Response.json(Views.user(updated))
    }

    static func password(_ body: JSONBody) throws -> String? {
        guard let password = try body.string("password", maxLength: 1024) else { return nil }
        guard password.count >= 8 else {
            throw APIError.invalid("password must have at least 8 characters", field: "password")
        }
        return password
    }

    static func role(_ body: JSONBody) throws -> Role? {
        guard let text = try body.string("role") else { return nil }
        guard let role = Role(rawValue: text) else {
            throw APIError.invalid(
                "role must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))", field: "role")
        }
        return role
    }

    /// Tenant names and device uids are topic levels.
    static func validateTopicLevel(_ text: String, field: String) throws(APIError) {
        guard !text.isEmpty, text.utf8.count <= 128,
            !text.contains(where: { "/+#".contains($0) || $0.isNewline || $0 == "\u{0}" }),
            !text.hasPrefix("$")
        else {
            throw APIError.invalid(
                "\(field) must be a non-empty topic level: no '/', '+', '#', no leading '$'", field: field)
        }
    }
}

/// Runs `body`, answering a store conflict with 409.
func conflictIs409<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch StoreError.conflict(let what) {
        throw APIError(.conflict, "conflict", what)
    } catch StoreError.notFound(let what) {
        throw APIError.invalid("\(what) does not exist", field: what)
    }
}
