public import RoostJSON
public import RoostStore

/// How schedules and their runs look in the API.
public enum ScheduleJSON {
    static func time(_ ms: Int64?) -> JSONValue { ms.map { .string(Timestamp.rfc3339(epochMilliseconds: $0)) } ?? .null }

    /// `{"id","name","tenant","device","uid","labels","command","params","timeout_s",
    /// "at"|"every_s"|"cron"+"tz","enabled","next_run_at","last_run_at","created_by","created_at","updated_at"}`.
    public static func object(_ r: ScheduleRecord) -> [JSONMember] {
        let s = r.spec
        var members: [JSONMember] = [
            JSONMember("id", .number(Double(r.id))),
            JSONMember("name", s.name.map(JSONValue.string) ?? .null),
            JSONMember("tenant", .string(r.tenant)),
            JSONMember("device", s.deviceID.map { .number(Double($0)) } ?? .null),
            JSONMember("uid", r.uid.map(JSONValue.string) ?? .null),
            JSONMember("labels", s.labels.flatMap { try? JSONParser.parse($0) } ?? .null),
            JSONMember("command", .string(s.command)),
            JSONMember("params", (try? JSONParser.parse(s.params)) ?? .object([])),
            JSONMember("timeout_s", s.timeout.map { .number(Double($0)) } ?? .null),
        ]
        switch s.timing {
        case .at(let t): members.append(JSONMember("at", time(t)))
        case .every(let seconds): members.append(JSONMember("every_s", .number(Double(seconds))))
        case .cron(let text, let zone):
            members += [JSONMember("cron", .string(text)), JSONMember("tz", .string(zone))]
        }
        members += [
            JSONMember("enabled", .bool(s.enabled)),
            JSONMember("next_run_at", s.enabled ? time(r.nextRunAt) : .null),
            JSONMember("last_run_at", time(r.lastRunAt)),
            JSONMember("created_by", r.createdBy.map(JSONValue.string) ?? .null),
            JSONMember("created_at", time(r.createdAt)),
            JSONMember("updated_at", time(r.updatedAt)),
        ]
        return members
    }

    /// `{"id","schedule","due_at","at","status","commands","detail"}`.
    public static func run(_ r: ScheduleRun) -> [JSONMember] {
        [
            JSONMember("id", .number(Double(r.id))),
            JSONMember("schedule", .number(Double(r.scheduleID))),
            JSONMember("due_at", time(r.dueAt)),
            JSONMember("at", time(r.at)),
            JSONMember("status", .string(r.status.rawValue)),
            JSONMember("commands", .array(r.commands.map(JSONValue.string))),
            JSONMember("detail", r.detail.map(JSONValue.string) ?? .null),
        ]
    }
}
