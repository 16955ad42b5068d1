import HTTPTypes
import Hummingbird
import RoostCore
import RoostJSON
import RoostStore

/// Commands: send one to a device (operator or above), list a device's, read one, cancel one
/// while it is queued. Every step of a command is also pushed on the realtime socket.
struct CommandRoutes {
    let api: RoostAPI

    func register(on group: APIGroup) {
        let devices = DeviceRoutes(api: api)
        group.post("/devices/{ref}/commands") { request, context in
            let identity = try context.require(.operator)
            let device = try await devices.resolve(request, context, identity)
            let body = try await JSONBody.read(request, context: context, limit: 64 << 10)
            let command = try body.string("command", required: true, maxLength: 128)!
            let timeout = try body.integer("timeout_s")
            let record = try await service().submit(
                to: device, command: command, params: body.members["params"], timeout: timeout,
                by: "user:\(identity.userID)")
            return Response.json(.object(CommandJSON.object(record)), status: .created)
        }
        group.get("/devices/{ref}/commands") { request, context in
            let identity = try context.require(.viewer)
            let device = try await devices.resolve(request, context, identity)
            let query = Query(request: request)
            var q = CommandQuery(deviceID: device.id)
            q.limit = try query.int("limit", default: 100, range: 1...1000)
            if let text = query.string("status") {
                guard let status = CommandStatus(rawValue: text) else {
                    throw APIError.badRequest(
                        "status must be one of \(CommandStatus.allCases.map(\.rawValue).joined(separator: ", "))",
                        field: "status")
                }
                q.status = status
            }
            if let cursor = query.string("cursor") {
                guard let before = Int64(cursor), before > 0 else {
                    throw APIError.badRequest("cursor is not one this API gave", field: "cursor")
                }
                q.beforeSeq = before
            }
            let page = try await api.store.commands(q)
            let next: JSONValue = page.count == q.limit ? .string(String(page.last!.seq)) : .null
            return Response.json(
                .object([
                    JSONMember("items", .array(page.map { .object(CommandJSON.object($0)) })),
                    JSONMember("next_cursor", next),
                ]))
        }
        group.get("/commands/{id}") { request, context in
            let identity = try context.require(.viewer)
            return Response.json(.object(CommandJSON.object(try await command(context, identity))))
        }
        group.post("/commands/{id}/cancel") { request, context in
            let identity = try context.require(.operator)
            let record = try await command(context, identity)
            guard let cancelled = try await service().cancel(id: record.id) else {
                let now = try await api.store.command(id: record.id) ?? record
                throw APIError(
                    .conflict, "not_queued", "only a queued command can be cancelled; this one is \(now.status.rawValue)",
                    details: ["status": now.status.rawValue])
            }
            return Response.json(.object(CommandJSON.object(cancelled)))
        }
    }

    /// The command `{id}` if the caller's tenant owns it; 404 otherwise (another tenant's
    /// commands do not exist for the caller).
    private func command(_ context: RoostRequestContext, _ identity: Identity) async throws -> CommandRecord {
        let id = try context.parameters.require("id")
        guard id.utf8.count <= 64, let record = try await api.store.command(id: id),
            identity.role == .platformAdmin || record.tenantID == identity.tenantID
        else { throw APIError.notFound("command \(id)") }
        return record
    }

    private func service() throws -> CommandService {
        guard let commands = api.commands else {
            throw APIError(.serviceUnavailable, "unavailable", "this server sends no commands")
        }
        return commands
    }
}
