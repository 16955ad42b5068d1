import RoostCore
import RoostJSON
import RoostStore

/// A schedule's fields from a request body: all of them when creating, those given over the
/// schedule's current ones when changing it; the field at fault in a 422.
struct ScheduleBody {
    static let longestEvery: Int64 = 366 * 86_400

    /// The spec, and whether its timing (or enabled) changed so that the next run is computed again.
    static func spec(
        _ body: JSONBody, over base: ScheduleSpec?, device: Int64??, limits: CommandSettings, now: Int64
    ) throws -> (ScheduleSpec, retime: Bool) {
        let command = try body.string("command", required: base == nil, maxLength: 128) ?? base?.command ?? ""
        guard !command.isEmpty else { throw APIError.invalid("command must not be empty", field: "command") }
        var params = base?.params ?? "{}"
        if let object = try body.object("params") {
            params = JSONValue.object(object).jsonText
            guard params.utf8.count <= limits.maxParamsBytes else {
                throw APIError.invalid("params are over \(limits.maxParamsBytes) bytes", field: "params")
            }
        }
        var timeout = base?.timeout
        if let t = try body.integer("timeout_s") {
            guard (1...limits.maxTimeout).contains(t) else {
                throw APIError.invalid("timeout_s must be 1 to \(limits.maxTimeout) seconds", field: "timeout_s")
            }
            timeout = t
        }
        let given = ["at", "every_s", "cron"].filter { body.members[$0] != nil && body.members[$0] != .null }
        guard given.count <= 1 else {
            throw APIError.invalid("give one of at, every_s and cron", field: given[1])
        }
        var timing = base?.timing
        switch given.first {
        case "at":
            guard case .string(let text)? = body.members["at"], let at = APITime.parse(text) else {
                throw APIError.invalid("at must be an RFC 3339 time", field: "at")
            }
            guard at > now else { throw APIError.invalid("at is in the past", field: "at") }
            timing = .at(at)
        case "every_s":
            guard let every = try body.integer("every_s"), (1...longestEvery).contains(every) else {
                throw APIError.invalid("every_s must be 1 to \(longestEvery) seconds", field: "every_s")
            }
            timing = .every(every)
        case "cron":
            let text = try body.string("cron", maxLength: 200) ?? ""
            let zone = try body.string("tz", maxLength: 64) ?? "UTC"
            guard try parse(text, zone).next(after: now) != nil else {
                throw APIError.invalid("this cron expression never fires", field: "cron")
            }
            timing = .cron(text, timeZone: zone)
        default:
            if let zone = try body.string("tz", maxLength: 64), case .cron(let text, _)? = timing {
                _ = try parse(text, zone)
                timing = .cron(text, timeZone: zone)
            }
        }
        guard let timing else { throw APIError.invalid("give one of at, every_s and cron", field: "every_s") }
        var spec =
            base
            ?? ScheduleSpec(command: command, timing: timing)
        spec.command = command
        spec.params = params
        spec.timeout = timeout
        if let name = try body.string("name", maxLength: 128) { spec.name = name }
        if let device { spec.deviceID = device }
        if body.members["labels"] != nil { spec.labels = try DeviceRoutes.labels(body) }
        if spec.deviceID != nil && spec.labels != nil {
            throw APIError.invalid("a schedule targets one device or a label selector, not both", field: "labels")
        }
        if spec.deviceID == nil && spec.labels == nil {
            throw APIError.invalid(
                "name a device, or labels (a selector; {} for every device of the tenant)", field: "device")
        }
        var retime = base == nil || spec.timing != timing
        spec.timing = timing
        if let enabled = body.members["enabled"] {
            guard case .bool(let on) = enabled else {
                throw APIError.invalid("enabled must be true or false", field: "enabled")
            }
            if on && base?.enabled == false { retime = true }
            spec.enabled = on
        }
        return (spec, retime)
    }

    /// The expression, or a 422 naming `tz` or `cron`.
    private static func parse(_ text: String, _ zone: String) throws -> CronExpression {
        let result = Result { () throws(CronError) -> CronExpression in try CronExpression(text, timeZone: zone) }
        switch result {
        case .success(let cron): return cron
        case .failure(let error):
            throw APIError.invalid(error.description, field: error.description.contains("time zone") ? "tz" : "cron")
        }
    }
}
