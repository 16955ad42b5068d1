public import RoostJSON
public import RoostStore

/// Which device a shadow belongs to, as the API and the topics name it.
public struct ShadowOwner: Sendable, Hashable {
    public var id: Int64
    public var tenant: String
    public var uid: String

    public init(id: Int64, tenant: String, uid: String) {
        self.id = id
        self.tenant = tenant
        self.uid = uid
    }
}

/// How a shadow looks in the API, on realtime sockets and on the delta topic.
public enum ShadowJSON {
    /// `{"device","uid","tenant","desired","reported","delta","version","metadata","updated_at"}`;
    /// a device that never had a shadow shows empty documents at version 0.
    public static func object(_ record: ShadowRecord?, of owner: ShadowOwner) -> [JSONMember] {
        let desired = ShadowDocument.members(record?.desired ?? "{}")
        let reported = ShadowDocument.members(record?.reported ?? "{}")
        let metadata = (try? JSONParser.parse(record?.metadata ?? "{}")) ?? .object([])
        return [
            JSONMember("device", .number(Double(owner.id))),
            JSONMember("uid", .string(owner.uid)),
            JSONMember("tenant", .string(owner.tenant)),
            JSONMember("desired", .object(desired)),
            JSONMember("reported", .object(reported)),
            JSONMember("delta", .object(ShadowDocument.delta(desired: desired, reported: reported))),
            JSONMember("version", .number(Double(record?.version ?? 0))),
            JSONMember("metadata", metadata),
            JSONMember(
                "updated_at", record.map { .string(Timestamp.rfc3339(epochMilliseconds: $0.updatedAt)) } ?? .null),
        ]
    }

    /// The realtime event of a change: ``object(_:of:)`` with `"type":"shadow"`.
    public static func event(_ record: ShadowRecord, of owner: ShadowOwner) -> RealtimeEvent {
        let json = JSONValue.object([JSONMember("type", .string("shadow"))] + object(record, of: owner)).jsonText
        return RealtimeEvent(kind: .shadow, tenant: owner.tenant, device: owner.id, json: json)
    }

    /// What the device receives on its delta topic: `{"version","delta"}`.
    public static func deltaPayload(_ delta: [JSONMember], version: Int64) -> [UInt8] {
        Array(
            JSONValue.object([JSONMember("version", .number(Double(version))), JSONMember("delta", .object(delta))])
                .jsonText.utf8)
    }
}
