import RoostCore
import RoostJSON
import RoostStore

/// What one socket is subscribed to, kept as a ``RealtimeFilter``, with the same tenant
/// isolation as the REST API: a device is found only in the caller's tenant, a tenant-wide
/// subscription is the caller's own tenant (any tenant, or all, for a platform admin).
///
/// Label subscriptions are resolved to the devices that have those labels when subscribing;
/// devices labelled later join with the next subscribe.
struct RealtimeSubscriptions {
    let api: RoostAPI
    let identity: Identity
    private(set) var filter = RealtimeFilter()
    /// Devices a snapshot lists at most; `truncated` says when there are more (page with REST).
    static let snapshotLimit = 1000
    /// Devices a label subscription resolves to at most.
    static let labelLimit = 10_000

    init(api: RoostAPI, identity: Identity) {
        self.api = api
        self.identity = identity
    }

    /// Adds the subscription; returns the snapshot to answer with.
    mutating func subscribe(_ request: RealtimeRequest.Subscribe) async throws -> String {
        var devices: [DeviceRecord] = []
        var total = 0
        for ref in request.devices { devices.append(try await api.device(ref: ref, for: identity)) }
        filter.add(devices: devices.map(\.id), kinds: request.kinds)
        if !request.labels.isEmpty {
            let labelled = try await labelled(request.labels)
            filter.add(devices: labelled.map(\.id), kinds: request.kinds)
            devices += labelled
        }
        total = devices.count
        if let choice = request.tenant {
            let (tenant, tenantID) = try await tenantScope(choice)
            if let tenant {
                filter.tenants[tenant, default: []].formUnion(request.kinds)
            } else {
                filter.everything.formUnion(request.kinds)
            }
            let page = try await api.store.devices(DeviceQuery(tenantID: tenantID, limit: Self.snapshotLimit))
            devices += page.devices
            total += page.total
        }
        var seen: Set<Int64> = []
        let unique = devices.filter { seen.insert($0.id).inserted }
        let listed = Array(unique.prefix(Self.snapshotLimit))
        var json = "{\"type\":\"snapshot\"" + RealtimeRequest.idField(request.id) + ",\"devices\":"
        json += JSONValue.array(listed.map(Views.device)).jsonText
        json += ",\"total\":\(max(total, listed.count)),\"truncated\":\(listed.count < max(total, unique.count))}"
        return json
    }

    /// Removes what `request` names (`all`: everything); returns the answer.
    mutating func unsubscribe(_ request: RealtimeRequest.Subscribe) async throws -> String {
        if request.all {
            filter = RealtimeFilter()
        } else {
            var ids: [Int64] = []
            for ref in request.devices { ids.append(try await api.device(ref: ref, for: identity).id) }
            if !request.labels.isEmpty { ids += try await labelled(request.labels).map(\.id) }
            filter.remove(devices: ids, kinds: request.kinds)
            if let choice = request.tenant {
                let (tenant, _) = try await tenantScope(choice)
                if let tenant {
                    filter.tenants[tenant]?.subtract(request.kinds)
                    if filter.tenants[tenant]?.isEmpty == true { filter.tenants[tenant] = nil }
                } else {
                    filter.everything.subtract(request.kinds)
                }
            }
        }
        return "{\"type\":\"unsubscribed\"" + RealtimeRequest.idField(request.id) + "}"
    }

    /// The tenant a tenant-wide subscription covers (its name and id), or nil for every
    /// tenant (a platform admin's `tenant: true`).
    private func tenantScope(_ choice: RealtimeRequest.TenantChoice) async throws -> (String?, Int64?) {
        switch (choice, identity.role == .platformAdmin) {
        case (.own, true):
            return (nil, nil)
        case (.named(let name), true):
            let tenant = try await api.tenant(named: name)
            return (tenant.name, tenant.id)
        case (let choice, false):
            guard let id = identity.tenantID, let tenant = try await api.store.tenant(id: id) else {
                throw APIError.notFound("tenant")
            }
            if case .named(let name) = choice, name != tenant.name, name != String(tenant.id) {
                throw APIError(.forbidden, "forbidden", "only platform admins may watch another tenant")
            }
            return (tenant.name, tenant.id)
        }
    }

    /// Devices of the caller's tenants with every one of `labels`.
    private func labelled(_ labels: [(key: String, value: String)]) async throws -> [DeviceRecord] {
        guard let first = labels.first else { return [] }
        var found: [DeviceRecord] = []
        var query = DeviceQuery(
            tenantID: identity.role == .platformAdmin ? nil : identity.tenantID, label: first, limit: 500)
        while found.count < Self.labelLimit {
            let page = try await api.store.devices(query).devices
            for device in page where labels.dropFirst().allSatisfy({ Self.has(device, $0) }) { found.append(device) }
            guard let last = page.last, page.count == query.limit else { break }
            query.afterID = last.id
        }
        return found
    }

    private static func has(_ device: DeviceRecord, _ label: (key: String, value: String)) -> Bool {
        guard case .object(let members)? = try? JSONParser.parse(device.labels) else { return false }
        return members.contains { $0.key == label.key && $0.value == .string(label.value) }
    }
}
