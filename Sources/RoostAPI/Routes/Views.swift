import RoostJSON
import RoostStore

/// How records look in the API's JSON.
enum Views {
    static func device(_ d: DeviceRecord) -> JSONValue {
        .object([
            JSONMember("id", .int(d.id)),
            JSONMember("uid", .string(d.uid)),
            JSONMember("name", d.name.map(JSONValue.string) ?? .null),
            JSONMember("tenant", .string(d.tenant)),
            JSONMember("tenant_id", .int(d.tenantID)),
            JSONMember("labels", .stored(d.labels)),
            JSONMember("status", .string(d.status)),
            JSONMember("status_at", .time(d.statusAt)),
            JSONMember("last_seen", .time(d.lastSeen)),
            JSONMember(
                "latest", .object([JSONMember("ts", .time(d.latestTS)), JSONMember("data", .stored(d.latest))])),
            JSONMember("created_at", .time(d.createdAt)),
        ])
    }

    static func user(_ u: UserRecord) -> JSONValue {
        .object([
            JSONMember("id", .int(u.id)),
            JSONMember("email", .string(u.email)),
            JSONMember("name", .string(u.name)),
            JSONMember("role", .string(u.role.rawValue)),
            JSONMember("tenant_id", .int(u.tenantID)),
            JSONMember("created_at", .time(u.createdAt)),
        ])
    }

    static func tenant(_ t: TenantRecord) -> JSONValue {
        .object([
            JSONMember("id", .int(t.id)), JSONMember("name", .string(t.name)),
            JSONMember("created_at", .time(t.createdAt)),
        ])
    }

    static func apiKey(_ k: APIKeyRecord) -> JSONValue {
        .object([
            JSONMember("id", .int(k.id)),
            JSONMember("name", .string(k.name)),
            JSONMember("prefix", .string(k.prefix)),
            JSONMember("role", .string(k.role.rawValue)),
            JSONMember("tenant_id", .int(k.tenantID)),
            JSONMember("created_at", .time(k.createdAt)),
        ])
    }

    static func statusEvent(_ e: StatusEvent) -> JSONValue {
        .object([
            JSONMember("id", .int(e.id)),
            JSONMember("online", .bool(e.online)),
            JSONMember("at", .time(e.at)),
            JSONMember("reason", .string(e.reason)),
            JSONMember("document", e.document.map(JSONValue.stored) ?? .null),
        ])
    }

    static func deadLetter(_ d: DeadLetter) -> JSONValue {
        .object([
            JSONMember("id", .int(d.id)),
            JSONMember("topic", .string(d.topic)),
            JSONMember("received_at", .time(d.receivedAt)),
            JSONMember("reason", .string(d.reason)),
            JSONMember("detail", .string(d.detail)),
            JSONMember("payload", .string(String(decoding: d.payload, as: UTF8.self))),
        ])
    }

    static func credentials(_ c: DeviceCredentials) -> JSONValue {
        .object([
            JSONMember("mqtt_username", .string(c.mqttUsername)),
            JSONMember("mqtt_password", .string(c.mqttPassword)),
            JSONMember("api_key", .string(c.apiKey)),
        ])
    }
}
