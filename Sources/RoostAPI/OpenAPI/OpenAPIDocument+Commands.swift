import RoostJSON
import RoostStore

/// The commands' operations and schemas in the OpenAPI document.
extension OpenAPIDocument {
    static var commandPaths: [(String, [(String, JSONValue)])] {
        let commandID = P(name: "id", location: "path", description: "the command's id (a UUID)")
        let statuses = CommandStatus.allCases.map(\.rawValue)
        return [
            (
                "/api/v1/devices/{ref}/commands",
                [
                    (
                        "get",
                        op(
                            "A device's commands, newest first", tag: "commands",
                            params: [
                                refParam, P(name: "status", schema: S.enumeration(statuses)), limit,
                                P(name: "cursor", description: "next_cursor of the previous page"), tenantParam,
                            ], ok: (200, "CommandList"))
                    ),
                    (
                        "post",
                        op(
                            "Send a command (operator or above): sent at once when the device listens, else queued until it does",
                            tag: "commands", params: [refParam, tenantParam], body: "CommandCreate",
                            ok: (201, "Command"))
                    ),
                ]
            ),
            (
                "/api/v1/commands/{id}",
                [("get", op("A command and where it is in its life", tag: "commands", params: [commandID], ok: (200, "Command")))]
            ),
            (
                "/api/v1/commands/{id}/cancel",
                [
                    (
                        "post",
                        op(
                            "Cancel a queued command (409 once it was sent)", tag: "commands", params: [commandID],
                            ok: (200, "Command"))
                    )
                ]
            ),
        ]
    }

    static var commandSchemas: [(String, JSONValue)] {
        let any = S.obj([])
        return [
            (
                "CommandCreate",
                S.object(
                    [
                        ("command", S.obj([("type", .string("string")), ("minLength", .number(1)), ("maxLength", .number(128))])),
                        ("params", S.anyObject),
                        ("timeout_s", S.obj([("type", .string("integer")), ("minimum", .number(1))])),
                    ], required: ["command"])
            ),
            (
                "Command",
                S.object(
                    [
                        ("id", S.string), ("device", S.integer), ("uid", S.string), ("tenant", S.string),
                        ("command", S.string), ("params", S.anyObject),
                        ("status", S.enumeration(CommandStatus.allCases.map(\.rawValue))), ("result", any),
                        ("created_by", S.nullableString), ("created_at", S.time), ("updated_at", S.time),
                        ("sent_at", S.nullableTime), ("delivered_at", S.nullableTime),
                        ("completed_at", S.nullableTime), ("expires_at", S.time),
                    ],
                    required: ["id", "device", "uid", "command", "params", "status", "created_at", "expires_at"])
            ),
            (
                "CommandList",
                S.object(
                    [("items", S.array(S.ref("Command"))), ("next_cursor", S.nullableString)],
                    required: ["items", "next_cursor"])
            ),
        ]
    }
}
