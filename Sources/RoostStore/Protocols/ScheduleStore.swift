/// Schedules of commands and the record of their runs. Each due time is claimed with a
/// conditional update, so that it fires once across restarts and nodes.
public protocol ScheduleStore: Sendable {
    /// Stores a schedule of tenant `tenantID` that fires first at `nextRunAt`.
    func createSchedule(tenantID: Int64, _ spec: ScheduleSpec, nextRunAt: Int64?, by: String?, now: Int64)
        async throws -> ScheduleRecord
    /// The schedules of one tenant, or of every tenant when nil, by id.
    func schedules(tenantID: Int64?) async throws -> [ScheduleRecord]
    func schedule(id: Int64) async throws -> ScheduleRecord?
    /// Replaces a schedule's fields and its next due time; nil when it is unknown.
    func updateSchedule(id: Int64, _ spec: ScheduleSpec, nextRunAt: Int64?, now: Int64) async throws -> ScheduleRecord?
    /// Deletes a schedule and its runs.
    func deleteSchedule(id: Int64) async throws -> Bool
    /// Enabled schedules due at `now`, soonest first.
    func dueSchedules(now: Int64, limit: Int) async throws -> [ScheduleRecord]
    /// Claims a due time (see ``ScheduleClaim``); the run, or nil when it was claimed before.
    func claimScheduleRun(_ claim: ScheduleClaim) async throws -> ScheduleRun?
    /// Records what a started run did.
    func finishScheduleRun(id: Int64, status: ScheduleRunStatus, commands: [String], detail: String?) async throws
    /// A schedule's runs, newest first; `beforeID` pages.
    func scheduleRuns(scheduleID: Int64, beforeID: Int64?, limit: Int) async throws -> [ScheduleRun]
}
