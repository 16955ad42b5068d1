import RoostStore

extension RoostAPI {
    /// The device `ref` (its id, or its uid within the caller's tenant) names, if `identity`
    /// may see it: 404 otherwise, 409 when a platform admin's uid matches in several tenants.
    /// `tenant` narrows a platform admin's search to one tenant.
    func device(ref: String, for identity: Identity, tenant: Int64? = nil) async throws -> DeviceRecord {
        let scope = identity.role == .platformAdmin ? tenant : identity.tenantID
        if let id = Int64(ref), let device = try await store.device(id: id, tenantID: scope) { return device }
        var exact = DeviceQuery(tenantID: scope, limit: 2)
        exact.uid = ref
        let matches = try await store.devices(exact).devices
        guard let device = matches.first else { throw APIError.notFound("device \(ref)") }
        guard matches.count == 1 else {
            throw APIError(.conflict, "ambiguous", "uid \(ref) exists in several tenants; add ?tenant= or use the id")
        }
        return device
    }

    /// The tenant named `text` (its name, or its id as text); 404 when there is none.
    func tenant(named text: String) async throws -> TenantRecord {
        guard let tenant = try await store.tenants().first(where: { $0.name == text || String($0.id) == text }) else {
            throw APIError.notFound("tenant \(text)")
        }
        return tenant
    }
}
