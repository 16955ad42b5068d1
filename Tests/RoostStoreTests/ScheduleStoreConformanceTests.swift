import RoostStore
import Testing

/// One suite, both stores: schedules, and each due time claimed exactly once.
@Suite("Store conformance: schedules")
struct ScheduleStoreConformanceTests {
    static let now: Int64 = 1_700_000_000_000

    @Test("create, list, replace, delete; a cron timing reads back with its zone", arguments: StoreKind.allCases)
    func crud(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let api = f.api
        let device = try await f.deviceIDs(["pump"], now: Self.now)[0]
        let tenant = try #require(try await api.tenants().first { $0.name == "t0" }?.id)
        let spec = ScheduleSpec(
            name: "flush", deviceID: device, command: "flush", params: #"{"s":5}"#, timeout: 30,
            timing: .cron("0 6 * * 1-5", timeZone: "Europe/Berlin"))
        let made = try await api.createSchedule(
            tenantID: tenant, spec, nextRunAt: Self.now + 60_000, by: "user:1", now: Self.now)
        #expect(made.spec == spec && made.uid == "pump" && made.nextRunAt == Self.now + 60_000 && made.lastRunAt == nil)
        #expect(made.createdBy == "user:1" && made.tenant == "t0")
        let every = try await api.createSchedule(
            tenantID: tenant, ScheduleSpec(labels: #"{"site":"a"}"#, command: "ping", timing: .every(10)),
            nextRunAt: Self.now + 10_000, by: nil, now: Self.now)
        #expect(try await api.schedules(tenantID: tenant).map(\.id) == [made.id, every.id])
        #expect(try await api.schedules(tenantID: tenant + 99).isEmpty)
        var changed = spec
        changed.timing = .at(Self.now + 5000)
        changed.enabled = false
        let updated = try await api.updateSchedule(id: made.id, changed, nextRunAt: Self.now + 5000, now: Self.now + 1)
        #expect(updated?.spec == changed && updated?.nextRunAt == Self.now + 5000 && updated?.updatedAt == Self.now + 1)
        #expect(try await api.updateSchedule(id: 999_999, changed, nextRunAt: nil, now: Self.now) == nil)
        await #expect(throws: StoreError.self) {
            _ = try await api.createSchedule(
                tenantID: tenant, ScheduleSpec(deviceID: 999_999, command: "x", timing: .every(1)), nextRunAt: nil,
                by: nil, now: Self.now)
        }
        #expect(try await api.deleteSchedule(id: every.id))
        #expect(try await !api.deleteSchedule(id: every.id))
        #expect(try await api.schedule(id: every.id) == nil)
    }

    @Test("a due time is claimed once; runs are recorded, finished and paged", arguments: StoreKind.allCases)
    func claims(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let api = f.api
        _ = try await f.deviceIDs(["pump"], now: Self.now)
        let tenant = try #require(try await api.tenants().first { $0.name == "t0" }?.id)
        let s = try await api.createSchedule(
            tenantID: tenant, ScheduleSpec(labels: "{}", command: "ping", timing: .every(60)),
            nextRunAt: Self.now, by: nil, now: Self.now)
        let disabled = try await api.createSchedule(
            tenantID: tenant, ScheduleSpec(labels: "{}", command: "off", timing: .every(60), enabled: false),
            nextRunAt: Self.now, by: nil, now: Self.now)
        #expect(try await api.dueSchedules(now: Self.now - 1, limit: 10).isEmpty)
        #expect(try await api.dueSchedules(now: Self.now, limit: 10).map(\.id) == [s.id])
        _ = disabled

        let claim = ScheduleClaim(
            scheduleID: s.id, expected: Self.now, next: Self.now + 60_000, dueAt: Self.now, at: Self.now + 5,
            status: .started)
        let run = try #require(try await api.claimScheduleRun(claim))
        #expect(run.status == .started && run.dueAt == Self.now && run.commands.isEmpty)
        // The second claimer (another node, or a repeated round) gets nothing.
        #expect(try await api.claimScheduleRun(claim) == nil)
        let moved = try await api.schedule(id: s.id)
        #expect(moved?.nextRunAt == Self.now + 60_000 && moved?.lastRunAt == Self.now)
        #expect(try await api.dueSchedules(now: Self.now + 59_999, limit: 10).isEmpty)
        try await api.finishScheduleRun(id: run.id, status: .fired, commands: ["c-1", "c-2"], detail: nil)

        let skip = try #require(
            try await api.claimScheduleRun(
                ScheduleClaim(
                    scheduleID: s.id, expected: Self.now + 60_000, next: nil, dueAt: Self.now + 120_000,
                    at: Self.now + 500_000, status: .skipped, detail: "missed")))
        #expect(skip.status == .skipped && skip.detail == "missed")
        #expect(try await api.schedule(id: s.id)?.nextRunAt == nil)
        let runs = try await api.scheduleRuns(scheduleID: s.id, beforeID: nil, limit: 10)
        #expect(runs.map(\.id) == [skip.id, run.id])
        #expect(runs[1].status == .fired && runs[1].commands == ["c-1", "c-2"])
        #expect(try await api.scheduleRuns(scheduleID: s.id, beforeID: skip.id, limit: 10).map(\.id) == [run.id])
    }
}
