/// When a schedule fires.
public enum ScheduleTiming: Sendable, Hashable {
    /// Once, at this time (epoch ms).
    case at(Int64)
    /// Every this many seconds, the first time that long after it was made.
    case every(Int64)
    /// A 5-field cron expression (`minute hour day-of-month month day-of-week`) in an IANA zone.
    case cron(String, timeZone: String)
}

/// The fields of a schedule a caller sets.
public struct ScheduleSpec: Sendable, Hashable {
    public var name: String?
    /// One device (row id), or nil for the label selector (or every device of the tenant).
    public var deviceID: Int64?
    /// A JSON object of string values the devices' labels contain.
    public var labels: String?
    public var command: String
    /// A JSON object.
    public var params: String
    /// The commands' timeout in seconds; nil: the configured default.
    public var timeout: Int64?
    public var timing: ScheduleTiming
    public var enabled: Bool

    public init(
        name: String? = nil, deviceID: Int64? = nil, labels: String? = nil, command: String, params: String = "{}",
        timeout: Int64? = nil, timing: ScheduleTiming, enabled: Bool = true
    ) {
        self.name = name
        self.deviceID = deviceID
        self.labels = labels
        self.command = command
        self.params = params
        self.timeout = timeout
        self.timing = timing
        self.enabled = enabled
    }
}

/// A schedule as stored, with the time it fires next (nil once a one-shot has fired).
public struct ScheduleRecord: Sendable, Hashable {
    public var id: Int64
    public var tenantID: Int64
    /// The tenant's name, as topics name it.
    public var tenant: String
    /// The device's uid when the schedule names one.
    public var uid: String?
    public var spec: ScheduleSpec
    public var nextRunAt: Int64?
    public var lastRunAt: Int64?
    /// `user:ID` of who made it.
    public var createdBy: String?
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        id: Int64, tenantID: Int64, tenant: String, uid: String?, spec: ScheduleSpec, nextRunAt: Int64?,
        lastRunAt: Int64?, createdBy: String?, createdAt: Int64, updatedAt: Int64
    ) {
        self.id = id
        self.tenantID = tenantID
        self.tenant = tenant
        self.uid = uid
        self.spec = spec
        self.nextRunAt = nextRunAt
        self.lastRunAt = lastRunAt
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// What became of one due time of a schedule.
public enum ScheduleRunStatus: String, Sendable, Hashable, CaseIterable {
    /// Claimed; its commands are being submitted.
    case started
    /// Its commands were submitted.
    case fired
    /// Missed while the server was down, past the grace period.
    case skipped
    /// Submitting failed (no device matched, the device's queue was full, …).
    case failed
}

/// One due time of a schedule, claimed by exactly one node.
public struct ScheduleRun: Sendable, Hashable {
    public var id: Int64
    public var scheduleID: Int64
    /// The time it was due.
    public var dueAt: Int64
    /// When it was claimed.
    public var at: Int64
    public var status: ScheduleRunStatus
    /// The ids of the commands it submitted.
    public var commands: [String]
    /// Why it failed or was skipped.
    public var detail: String?

    public init(
        id: Int64, scheduleID: Int64, dueAt: Int64, at: Int64, status: ScheduleRunStatus, commands: [String],
        detail: String?
    ) {
        self.id = id
        self.scheduleID = scheduleID
        self.dueAt = dueAt
        self.at = at
        self.status = status
        self.commands = commands
        self.detail = detail
    }
}

/// A claim of one due time: the schedule moves from `expected` to `next` and the run is
/// recorded, or nothing happens because another node (or an earlier round) claimed it.
public struct ScheduleClaim: Sendable, Hashable {
    public var scheduleID: Int64
    /// The `next_run_at` the claimer read.
    public var expected: Int64
    /// The next due time after this one; nil: none (a one-shot).
    public var next: Int64?
    /// The due time the run is for (the latest one missed, when several were).
    public var dueAt: Int64
    public var at: Int64
    /// `started` to fire it, `skipped` to record it missed.
    public var status: ScheduleRunStatus
    public var detail: String?

    public init(
        scheduleID: Int64, expected: Int64, next: Int64?, dueAt: Int64, at: Int64, status: ScheduleRunStatus,
        detail: String? = nil
    ) {
        self.scheduleID = scheduleID
        self.expected = expected
        self.next = next
        self.dueAt = dueAt
        self.at = at
        self.status = status
        self.detail = detail
    }
}

extension ScheduleTiming {
    /// The columns a store keeps it in: kind (`at`, `every`, `cron`), time, seconds, expression, zone.
    public var columns: (kind: String, at: Int64?, every: Int64?, cron: String?, timeZone: String?) {
        switch self {
        case .at(let t): ("at", t, nil, nil, nil)
        case .every(let s): ("every", nil, s, nil, nil)
        case .cron(let e, let z): ("cron", nil, nil, e, z)
        }
    }

    /// From a store's columns; nil when they do not describe a timing.
    public init?(kind: String, at: Int64?, every: Int64?, cron: String?, timeZone: String?) {
        switch kind {
        case "at": guard let at else { return nil }; self = .at(at)
        case "every": guard let every else { return nil }; self = .every(every)
        case "cron": guard let cron else { return nil }; self = .cron(cron, timeZone: timeZone ?? "UTC")
        default: return nil
        }
    }
}

extension ScheduleRun {
    /// The command ids as stored: a JSON array of strings (ids are UUIDs, no escaping needed).
    public static func encode(_ commands: [String]) -> String {
        "[" + commands.map { "\"\($0)\"" }.joined(separator: ",") + "]"
    }

    public static func decode(_ text: String?) -> [String] {
        guard let text else { return [] }
        return text.dropFirst().dropLast().split(separator: ",").map {
            String($0.trimmingPrefix("\"").dropLast($0.hasSuffix("\"") ? 1 : 0))
        }
    }
}
