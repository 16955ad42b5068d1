import HTTPTypes
import Hummingbird
import RoostCore
import RoostJSON
import RoostStore

/// Schedules of commands (operator or above to change; viewers read) and their runs. A
/// schedule of another tenant is a 404.
struct ScheduleRoutes {
    let api: RoostAPI

    func register(on group: APIGroup) {
        let devices = DeviceRoutes(api: api)
        group.post("/schedules") { request, context in
            let identity = try context.require(.operator)
            let body = try await JSONBody.read(request, context: context, limit: 64 << 10)
            var tenantID = identity.tenantID
            var device: Int64?? = nil
            let named = try await tenant(body, identity)
            if let ref = try AlertRoutes.deviceRef(body) {
                let record = try await api.device(ref: ref, for: identity, tenant: named)
                tenantID = record.tenantID
                device = .some(record.id)
            } else if identity.role == .platformAdmin {
                tenantID = named
            }
            guard let tenantID else { throw APIError.invalid("tenant is required (its name or id)", field: "tenant") }
            let now = api.clock.nowMilliseconds()
            let (spec, _) = try ScheduleBody.spec(body, over: nil, device: device, limits: try limits(), now: now)
            let record = try await api.store.createSchedule(
                tenantID: tenantID, spec, nextRunAt: try first(spec, now), by: "user:\(identity.userID)", now: now)
            return Response.json(.object(ScheduleJSON.object(record)), status: .created)
        }
        group.get("/schedules") { request, context in
            let identity = try context.require(.viewer)
            let scope = context.scope(identity, requested: try await devices.requestedTenant(request, identity))
            let list = try await api.store.schedules(tenantID: scope)
            return Response.json(
                .object([
                    JSONMember("items", .array(list.map { .object(ScheduleJSON.object($0)) })),
                    JSONMember("next_cursor", .null),
                ]))
        }
        group.get("/schedules/{id}") { request, context in
            let identity = try context.require(.viewer)
            return Response.json(.object(ScheduleJSON.object(try await schedule(context, identity))))
        }
        group.patch("/schedules/{id}") { request, context in
            let identity = try context.require(.operator)
            let current = try await schedule(context, identity)
            let body = try await JSONBody.read(request, context: context, limit: 64 << 10)
            var device: Int64?? = nil
            if body.members["device"] != nil {
                if let ref = try AlertRoutes.deviceRef(body) {
                    let record = try await api.device(ref: ref, for: identity, tenant: current.tenantID)
                    guard record.tenantID == current.tenantID else { throw APIError.notFound("device \(ref)") }
                    device = .some(record.id)
                } else {
                    device = .some(nil)
                }
            }
            let now = api.clock.nowMilliseconds()
            let (spec, retime) = try ScheduleBody.spec(
                body, over: current.spec, device: device, limits: try limits(), now: now)
            let next = retime ? try first(spec, now) : current.nextRunAt
            guard let updated = try await api.store.updateSchedule(id: current.id, spec, nextRunAt: next, now: now) else {
                throw APIError.notFound("schedule \(current.id)")
            }
            return Response.json(.object(ScheduleJSON.object(updated)))
        }
        group.delete("/schedules/{id}") { request, context in
            let identity = try context.require(.operator)
            let current = try await schedule(context, identity)
            guard try await api.store.deleteSchedule(id: current.id) else { throw APIError.notFound("schedule") }
            return Response.noContent
        }
        group.get("/schedules/{id}/runs") { request, context in
            let identity = try context.require(.viewer)
            let current = try await schedule(context, identity)
            let query = Query(request: request)
            let limit = try query.int("limit", default: 100, range: 1...1000)
            var before: Int64?
            if let cursor = query.string("cursor") {
                guard let id = Int64(cursor), id > 0 else {
                    throw APIError.badRequest("cursor is not one this API gave", field: "cursor")
                }
                before = id
            }
            let runs = try await api.store.scheduleRuns(scheduleID: current.id, beforeID: before, limit: limit)
            let next: JSONValue = runs.count == limit ? .string(String(runs.last!.id)) : .null
            return Response.json(
                .object([
                    JSONMember("items", .array(runs.map { .object(ScheduleJSON.run($0)) })),
                    JSONMember("next_cursor", next),
                ]))
        }
    }

    private func first(_ spec: ScheduleSpec, _ now: Int64) throws -> Int64? {
        do {
            return try ScheduleTimes.first(spec.timing, now: now)
        } catch {
            throw APIError.invalid(error.description, field: "cron")
        }
    }

    private func limits() throws -> CommandSettings {
        guard let commands = api.commands else {
            throw APIError(.serviceUnavailable, "unavailable", "this server sends no commands")
        }
        return commands.settings
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

    private func schedule(_ context: RoostRequestContext, _ identity: Identity) async throws -> ScheduleRecord {
        let text = try context.parameters.require("id")
        guard let id = Int64(text), let schedule = try await api.store.schedule(id: id),
            identity.role == .platformAdmin || schedule.tenantID == identity.tenantID
        else { throw APIError.notFound("schedule \(text)") }
        return schedule
    }
}
