import Foundation
public import Logging
public import RoostStore
import RoostJSON
public import ServiceLifecycle
public import Synchronization

/// How often schedules are looked at, and how late a run may still fire.
public struct ScheduleSettings: Sendable, Hashable {
    /// Seconds between looks at due schedules.
    public var tick: Double = 1
    /// A due time missed (the server was down) fires when it is at most this many seconds past;
    /// later, it is recorded as skipped.
    public var grace: Double = 60

    public init() {}
}

/// Fires schedules: each due time is claimed in the store with a conditional update (so it
/// fires once, across restarts and across nodes on one database), then its command is
/// submitted to its device or to every device its label selector matches, as
/// `created_by: schedule:ID`, and the run is recorded.
public final class Scheduler: Service, Sendable {
    let store: any ScheduleStore & RegistryStore
    let commands: CommandService
    let clock: any EpochClock
    let logger: Logger
    public let settings: ScheduleSettings
    /// Runs fired, skipped and failed, for `/metrics`.
    public let fired = Atomic<Int>(0)
    public let skipped = Atomic<Int>(0)
    public let failed = Atomic<Int>(0)

    public init(
        store: any ScheduleStore & RegistryStore, commands: CommandService, settings: ScheduleSettings = .init(),
        clock: any EpochClock = SystemEpochClock(), logger: Logger = Logger(label: "roost.schedules")
    ) {
        self.store = store
        self.commands = commands
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    public func run() async throws {
        let interval = Duration.milliseconds(Int64(max(0.01, settings.tick) * 1000))
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await runDue()
            } catch {
                logger.warning("running schedules failed, retrying: \(error)")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// Claims and fires (or records as skipped) every schedule due now; returns the runs claimed.
    @discardableResult
    public func runDue() async throws -> [ScheduleRun] {
        var claimed: [ScheduleRun] = []
        let now = clock.nowMilliseconds()
        for schedule in try await store.dueSchedules(now: now, limit: 200) {
            guard let due = schedule.nextRunAt else { continue }
            let plan = ScheduleTimes.plan(schedule.spec.timing, due: due, now: now)
            let lateMS = now - plan.latest
            let inTime = Double(lateMS) <= settings.grace * 1000
            var detail: String?
            if !inTime {
                detail = "missed by \(lateMS / 1000) s while the server was down (grace \(Int(settings.grace)) s)"
            } else if plan.passed > 0 {
                detail = "\(plan.passed) earlier due times passed while the server was down"
            }
            guard
                let run = try await store.claimScheduleRun(
                    ScheduleClaim(
                        scheduleID: schedule.id, expected: due, next: plan.next, dueAt: plan.latest, at: now,
                        status: inTime ? .started : .skipped, detail: detail))
            else { continue }
            claimed.append(run)
            if inTime {
                claimed[claimed.count - 1] = await fire(schedule, run, note: detail)
            } else {
                skipped.add(1, ordering: .relaxed)
                logger.notice("schedule run skipped", metadata: ["schedule": "\(schedule.id)", "why": "\(detail ?? "")"])
            }
        }
        return claimed
    }

    /// Submits the schedule's command to each of its devices and records the run.
    func fire(_ schedule: ScheduleRecord, _ run: ScheduleRun, note: String?) async -> ScheduleRun {
        var ids: [String] = []
        var errors: [String] = []
        do {
            let targets = try await devices(of: schedule)
            if targets.isEmpty { errors.append("no device matches") }
            let params = try? JSONParser.parse(schedule.spec.params)
            for device in targets {
                do {
                    let command = try await commands.submit(
                        to: device, command: schedule.spec.command, params: params, timeout: schedule.spec.timeout,
                        by: "schedule:\(schedule.id)")
                    ids.append(command.id)
                } catch {
                    errors.append("\(device.uid): \(error)")
                }
            }
        } catch {
            errors.append("\(error)")
        }
        let status: ScheduleRunStatus = ids.isEmpty ? .failed : .fired
        let detail = ([note].compactMap { $0 } + errors.prefix(5)).joined(separator: "; ")
        if status == .fired { fired.add(1, ordering: .relaxed) } else { failed.add(1, ordering: .relaxed) }
        do {
            try await store.finishScheduleRun(
                id: run.id, status: status, commands: ids, detail: detail.isEmpty ? nil : detail)
        } catch {
            logger.warning("recording a schedule run failed: \(error)", metadata: ["schedule": "\(schedule.id)"])
        }
        var done = run
        done.status = status
        done.commands = ids
        done.detail = detail.isEmpty ? nil : detail
        return done
    }

    /// The schedule's device, or every device of its tenant its label selector matches.
    func devices(of schedule: ScheduleRecord) async throws -> [DeviceRecord] {
        if let id = schedule.spec.deviceID {
            return try await store.device(id: id, tenantID: schedule.tenantID).map { [$0] } ?? []
        }
        let selector = schedule.spec.labels.flatMap(AlertRule.labels) ?? [:]
        var out: [DeviceRecord] = []
        var after: Int64 = 0
        while true {
            let page = try await store.devices(DeviceQuery(tenantID: schedule.tenantID, limit: 1000, afterID: after)).devices
            for device in page {
                let labels = AlertRule.labels(device.labels) ?? [:]
                if selector.allSatisfy({ labels[$0.key] == $0.value }) { out.append(device) }
            }
            guard page.count == 1000, let last = page.last?.id else { return out }
            after = last
        }
    }
}
