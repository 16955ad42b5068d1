import HTTPTypes
import Hummingbird
import RoostCore
import RoostJSON
import RoostStore

/// Alert rules (CRUD, operator or above to change) and the alerts they open (list, read with
/// their webhook deliveries, acknowledge). A rule or alert of another tenant is a 404.
struct AlertRoutes {
    let api: RoostAPI

    func register(on group: APIGroup) {
        let devices = DeviceRoutes(api: api)
        group.post("/alert-rules") { request, context in
            let identity = try context.require(.operator)
            let body = try await JSONBody.read(request, context: context, limit: 64 << 10)
            var tenantID = identity.tenantID
            var device: Int64?? = nil
            if let ref = try Self.deviceRef(body) {
                let record = try await api.device(ref: ref, for: identity, tenant: try await tenant(body, identity))
                tenantID = record.tenantID
                device = .some(record.id)
            } else if identity.role == .platformAdmin {
                tenantID = try await tenant(body, identity)
            }
            guard let tenantID else { throw APIError.invalid("tenant is required (its name or id)", field: "tenant") }
            let (spec, secret) = try AlertRuleBody.spec(body, over: nil, device: device)
            let rule = try await api.store.createAlertRule(tenantID: tenantID, spec, now: AuthRoutes.now())
            try await engine().reload()
            return Response.json(Self.ruleJSON(rule, secret: secret), status: .created)
        }
        group.get("/alert-rules") { request, context in
            let identity = try context.require(.viewer)
            let scope = context.scope(identity, requested: try await devices.requestedTenant(request, identity))
            let rules = try await api.store.alertRules(tenantID: scope)
            return Response.json(
                .object([
                    JSONMember("items", .array(rules.map { .object(AlertJSON.rule($0)) })),
                    JSONMember("next_cursor", .null),
                ]))
        }
        group.get("/alert-rules/{id}") { request, context in
            let identity = try context.require(.viewer)
            return Response.json(.object(AlertJSON.rule(try await rule(context, identity))))
        }
        group.patch("/alert-rules/{id}") { request, context in
            let identity = try context.require(.operator)
            let current = try await rule(context, identity)
            let body = try await JSONBody.read(request, context: context, limit: 64 << 10)
            var device: Int64?? = nil
            if body.members["device"] != nil {
                if let ref = try Self.deviceRef(body) {
                    let record = try await api.device(ref: ref, for: identity, tenant: current.tenantID)
                    guard record.tenantID == current.tenantID else { throw APIError.notFound("device \(ref)") }
                    device = .some(record.id)
                } else {
                    device = .some(nil)
                }
            }
            let (spec, secret) = try AlertRuleBody.spec(body, over: current.spec, device: device)
            guard let rule = try await api.store.updateAlertRule(id: current.id, spec, now: AuthRoutes.now()) else {
                throw APIError.notFound("alert rule \(current.id)")
            }
            try await engine().reload()
            return Response.json(Self.ruleJSON(rule, secret: secret))
        }
        group.delete("/alert-rules/{id}") { request, context in
            let identity = try context.require(.operator)
            let current = try await rule(context, identity)
            guard try await api.store.deleteAlertRule(id: current.id) else { throw APIError.notFound("alert rule") }
            try await engine().reload()
            return Response.noContent
        }
        group.get("/alerts") { request, context in
            let identity = try context.require(.viewer)
            let query = Query(request: request)
            var q = AlertQuery(tenantID: context.scope(identity, requested: try await devices.requestedTenant(request, identity)))
            q.limit = try query.int("limit", default: 100, range: 1...1000)
            if let text = query.string("state") {
                guard let state = AlertState(rawValue: text) else {
                    throw APIError.badRequest("state must be open, acknowledged or resolved", field: "state")
                }
                q.state = state
            }
            if let ref = query.string("device") {
                q.deviceID = try await api.device(ref: ref, for: identity, tenant: q.tenantID).id
            }
            if let text = query.string("rule") {
                guard let id = Int64(text) else { throw APIError.badRequest("rule must be a rule id", field: "rule") }
                q.ruleID = id
            }
            if let cursor = query.string("cursor") {
                guard let before = Int64(cursor), before > 0 else {
                    throw APIError.badRequest("cursor is not one this API gave", field: "cursor")
                }
                q.beforeID = before
            }
            let page = try await api.store.alerts(q)
            let next: JSONValue = page.count == q.limit ? .string(String(page.last!.id)) : .null
            return Response.json(
                .object([
                    JSONMember("items", .array(page.map { .object(AlertJSON.object($0)) })),
                    JSONMember("next_cursor", next),
                ]))
        }
        group.get("/alerts/{id}") { request, context in
            let identity = try context.require(.viewer)
            let alert = try await alert(context, identity)
            let deliveries = try await api.store.webhookDeliveries(alertID: alert.id)
            return Response.json(
                .object(
                    AlertJSON.object(alert) + [
                        JSONMember("webhooks", .array(deliveries.map { .object(AlertJSON.delivery($0)) }))
                    ]))
        }
        group.post("/alerts/{id}/ack") { request, context in
            let identity = try context.require(.operator)
            let current = try await alert(context, identity)
            guard let acked = try await engine().acknowledge(id: current.id, by: "user:\(identity.userID)") else {
                let now = try await api.store.alert(id: current.id) ?? current
                throw APIError(
                    .conflict, "not_open", "only an open alert can be acknowledged; this one is \(now.state.rawValue)",
                    details: ["state": now.state.rawValue])
            }
            return Response.json(.object(AlertJSON.object(acked)))
        }
    }

    static func ruleJSON(_ rule: AlertRuleRecord, secret: String?) -> JSONValue {
        var members = AlertJSON.rule(rule)
        // A generated secret is shown once, when it is made.
        if let secret { members.append(JSONMember("webhook_secret", .string(secret))) }
        return .object(members)
    }

    /// `device` as a ref (uid or id), nil when absent or null.
    static func deviceRef(_ body: JSONBody) throws -> String? {
        switch body.members["device"] {
        case nil, .null?: return nil
        case .string(let s)?: return s
        case .number?: return try body.integer("device").map(String.init)
        default: throw APIError.invalid("device must be a device's uid or id", field: "device")
        }
    }

    /// A platform admin's `tenant` (name or id) from the body; nil for everyone else.
    private func tenant(_ body: JSONBody, _ identity: Identity) async throws -> Int64? {
        guard identity.role == .platformAdmin else { return nil }
        switch body.members["tenant"] {
        case .string(let name)?: return try await api.tenant(named: name).id
        case .number?: return try await api.tenant(named: String(try body.integer("tenant") ?? 0)).id
        default: return nil
        }
    }

    private func rule(_ context: RoostRequestContext, _ identity: Identity) async throws -> AlertRuleRecord {
        let text = try context.parameters.require("id")
        guard let id = Int64(text), let rule = try await api.store.alertRule(id: id),
            identity.role == .platformAdmin || rule.tenantID == identity.tenantID
        else { throw APIError.notFound("alert rule \(text)") }
        return rule
    }

    private func alert(_ context: RoostRequestContext, _ identity: Identity) async throws -> AlertRecord {
        let text = try context.parameters.require("id")
        guard let id = Int64(text), let alert = try await api.store.alert(id: id),
            identity.role == .platformAdmin || alert.tenantID == identity.tenantID
        else { throw APIError.notFound("alert \(text)") }
        return alert
    }

    private func engine() throws -> AlertEngine {
        guard let alerts = api.alerts else {
            throw APIError(.serviceUnavailable, "unavailable", "this server evaluates no alerts")
        }
        return alerts
    }
}
