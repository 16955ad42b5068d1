import HTTPTypes
import Hummingbird
import RoostJSON
import RoostStore

/// Devices: list, create (credentials shown once), get, update, delete with their data, rotate
/// credentials. `{ref}` is a device id or its uid within the caller's tenant.
struct DeviceRoutes {
    let api: RoostAPI

    func register(on group: APIGroup) {
        group.get("/devices") { request, context in try await list(request, context) }
        group.post("/devices") { request, context in try await create(request, context) }
        group.get("/devices/{ref}") { request, context in
            let identity = try context.require(.viewer)
            return Response.json(Views.device(try await resolve(request, context, identity)))
        }
        group.patch("/devices/{ref}") { request, context in
            let identity = try context.require(.tenantAdmin)
            let device = try await resolve(request, context, identity)
            let body = try await JSONBody.read(request, context: context)
            let labels = try Self.labels(body)
            guard
                let updated = try await api.store.updateDevice(
                    id: device.id, name: try body.string("name", maxLength: 200), labels: labels)
            else { throw APIError.notFound("device") }
            await api.deviceChanged(updated.id)
            return Response.json(Views.device(updated))
        }
        group.delete("/devices/{ref}") { request, context in
            let identity = try context.require(.tenantAdmin)
            let device = try await resolve(request, context, identity)
            guard try await api.store.deleteDevice(id: device.id) else { throw APIError.notFound("device") }
            api.ingest?.forgetDevices()
            await api.deviceChanged(device.id)
            await api.revokeLogins(tenant: device.tenant, uid: device.uid)
            context.logger.notice(
                "device deleted with its data", metadata: ["device": "\(device.tenant)/\(device.uid)"])
            return Response.noContent
        }
        group.post("/devices/{ref}/credentials") { request, context in
            let identity = try context.require(.tenantAdmin)
            let device = try await resolve(request, context, identity)
            let (_, credentials) = try await api.store.issueCredentials(
                for: DeviceKey(tenant: device.tenant, uid: device.uid), now: AuthRoutes.now())
            // The old credentials stop working now, for the connections they opened too.
            await api.revokeLogins(tenant: device.tenant, uid: device.uid, keeping: credentials.mqttUsername)
            return Response.json(.object([JSONMember("credentials", Views.credentials(credentials))]))
        }
    }

    /// The device `{ref}` names, if the caller may see it; 404 otherwise.
    func resolve(_ request: Request, _ context: RoostRequestContext, _ identity: Identity) async throws -> DeviceRecord
    {
        let ref = try context.parameters.require("ref")
        return try await api.device(ref: ref, for: identity, tenant: try await requestedTenant(request, identity))
    }

    /// `?tenant=` (name or id), for platform admins.
    func requestedTenant(_ request: Request, _ identity: Identity) async throws -> Int64? {
        guard identity.role == .platformAdmin, let text = Query(request: request).string("tenant") else { return nil }
        return try await api.tenant(named: text).id
    }

    private func list(_ request: Request, _ context: RoostRequestContext) async throws -> Response {
        let identity = try context.require(.viewer)
        let query = Query(request: request)
        var q = DeviceQuery(tenantID: context.scope(identity, requested: try await requestedTenant(request, identity)))
        q.limit = try query.int("limit", default: 100, range: 1...1000)
        q.search = query.string("q")
        if let status = query.string("status") {
            guard ["online", "offline", "unknown"].contains(status) else {
                throw APIError.badRequest("status must be online, offline or unknown", field: "status")
            }
            q.status = status
        }
        if let label = query.string("label") {
            let parts = label.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { throw APIError.badRequest("label must be key:value", field: "label") }
            q.label = (String(parts[0]), String(parts[1]))
        }
        if let cursor = query.string("cursor") {
            guard let after = Int64(cursor), after >= 0 else {
                throw APIError.badRequest("cursor is not one this API gave", field: "cursor")
            }
            q.afterID = after
        }
        let (devices, total) = try await api.store.devices(q)
        let next: JSONValue = devices.count == q.limit ? .string(String(devices.last!.id)) : .null
        return Response.json(
            .object([
                JSONMember("items", .array(devices.map(Views.device))), JSONMember("next_cursor", next),
                JSONMember("total", .number(Double(total))),
            ]))
    }

    private func create(_ request: Request, _ context: RoostRequestContext) async throws -> Response {
        let identity = try context.require(.tenantAdmin)
        let body = try await JSONBody.read(request, context: context)
        let uid = try body.string("uid", required: true, maxLength: 128)!
        try AdminRoutes.validateTopicLevel(uid, field: "uid")
        var tenantID = identity.tenantID
        if identity.role == .platformAdmin {
            let tenants = try await api.store.tenants()
            let named: TenantRecord? =
                switch body.members["tenant"] {
                case .string(let name)?: tenants.first { $0.name == name }
                case .number?: try body.integer("tenant").flatMap { n in tenants.first { $0.id == n } }
                case nil, .null?: try await defaultTenant(tenants)
                default: throw APIError.invalid("tenant must be a tenant's name or id", field: "tenant")
                }
            guard let named else { throw APIError.invalid("no such tenant (give its name or id)", field: "tenant") }
            tenantID = named.id
        }
        guard let tenantID else { throw APIError.invalid("tenant is required", field: "tenant") }
        let device = try await conflictIs409 {
            try await api.store.createDevice(
                tenantID: tenantID, uid: uid, name: try body.string("name", maxLength: 200),
                labels: try Self.labels(body) ?? "{}",
                now: AuthRoutes.now())
        }
        let (_, credentials) = try await api.store.issueCredentials(
            for: DeviceKey(tenant: device.tenant, uid: device.uid), now: AuthRoutes.now())
        await api.deviceChanged(device.id)
        guard case .object(var members) = Views.device(device) else { throw APIError.notFound("device") }
        members.append(JSONMember("credentials", Views.credentials(credentials)))
        return Response.json(.object(members), status: .created)
    }

    /// The default layout's tenant `t0`, created when missing (as MQTT ingest does).
    private func defaultTenant(_ tenants: [TenantRecord]) async throws -> TenantRecord? {
        if let t0 = tenants.first(where: { $0.name == "t0" }) { return t0 }
        do {
            return try await api.store.createTenant(name: "t0", now: AuthRoutes.now())
        } catch StoreError.conflict {
            return try await api.store.tenants().first { $0.name == "t0" }
        }
    }

    /// `labels`: an object of string values, stored as JSON text.
    static func labels(_ body: JSONBody) throws -> String? {
        guard let members = try body.object("labels") else { return nil }
        guard members.count <= 64 else { throw APIError.invalid("at most 64 labels", field: "labels") }
        for m in members {
            guard case .string(let v) = m.value, v.count <= 256, !m.key.isEmpty, m.key.count <= 64 else {
                throw APIError.invalid(
                    "labels must map keys (1-64 characters) to strings of up to 256", field: "labels")
            }
        }
        return JSONValue.object(members).jsonText
    }
}
