public import RoostJSON
public import RoostStore

/// How a command looks in the API and on realtime sockets.
public enum CommandJSON {
    /// `{"id","device","uid","tenant","command","params","status","result","created_by",
    /// "created_at","updated_at","sent_at","delivered_at","completed_at","expires_at"}`.
    public static func object(_ c: CommandRecord) -> [JSONMember] {
        func time(_ ms: Int64?) -> JSONValue { ms.map { .string(Timestamp.rfc3339(epochMilliseconds: $0)) } ?? .null }
        return [
            JSONMember("id", .string(c.id)),
            JSONMember("device", .number(Double(c.deviceID))),
            JSONMember("uid", .string(c.uid)),
            JSONMember("tenant", .string(c.tenant)),
            JSONMember("command", .string(c.command)),
            JSONMember("params", stored(c.params) ?? .object([])),
            JSONMember("status", .string(c.status.rawValue)),
            JSONMember("result", c.result.flatMap(stored) ?? .null),
            JSONMember("created_by", c.createdBy.map(JSONValue.string) ?? .null),
            JSONMember("created_at", time(c.createdAt)),
            JSONMember("updated_at", time(c.updatedAt)),
            JSONMember("sent_at", time(c.sentAt)),
            JSONMember("delivered_at", time(c.deliveredAt)),
            JSONMember("completed_at", time(c.completedAt)),
            JSONMember("expires_at", time(c.expiresAt)),
        ]
    }

    /// The realtime event of a command's transition: ``object(_:)`` with `"type":"command"`.
    public static func event(_ c: CommandRecord) -> RealtimeEvent {
        let json = JSONValue.object([JSONMember("type", .string("command"))] + object(c)).jsonText
        return RealtimeEvent(kind: .command, tenant: c.tenant, device: c.deviceID, json: json)
    }

    /// What a device receives: `{"id","command","params"}`.
    public static func payload(_ c: CommandRecord) -> [UInt8] {
        Array(
            JSONValue.object([
                JSONMember("id", .string(c.id)), JSONMember("command", .string(c.command)),
                JSONMember("params", stored(c.params) ?? .object([])),
            ]).jsonText.utf8)
    }

    static func stored(_ text: String) -> JSONValue? { try? JSONParser.parse(text) }
}
