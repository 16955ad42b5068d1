import RoostCore
import RoostStore
import Testing

/// Retention on both stores: old raw rows of one tenant go in bounded batches (only rolled-up
/// ones while rollups run, so aggregates keep them), old rollups go, other tenants keep
/// everything, and the lease lets one holder run the job at a time.
@Suite("Store conformance: retention")
struct RetentionConformanceTests {
    static let base: Int64 = 1_700_000_000_000 - 1_700_000_000_000 % 3_600_000
    static let minute: Int64 = 60_000

    /// One row a minute for an hour.
    static func write(_ f: StoreFixture, _ device: Int64, tag: String) async throws {
        var batch = IngestBatch()
        batch.telemetry = (0..<60).map { i in
            TelemetryRecord(
                device: device, ts: base + Int64(i) * minute + 1_000, receivedAt: base, msgID: "\(tag)-\(i)",
                data: #"{"temp":\#(i)}"#)
        }
        _ = try await f.ingest.write(batch)
    }

    static func counts(_ f: StoreFixture, _ device: Int64) async throws -> (raw: Double?, planned: Double?) {
        let q = AggregateQuery(
            device: device, keys: ["temp"], from: base - 3_600_000, to: base + 7_200_000, bucket: 86_400_000,
            functions: [.count])
        let raw = try await f.api.aggregate(q).reduce(0.0) { $0 + ($1.values["temp"]?[.count] ?? 0) }
        let planned = try await AggregatePlanner(store: f.api).aggregate(q).buckets
            .reduce(0.0) { $0 + ($1.values["temp"]?[.count] ?? 0) }
        return (raw, planned)
    }

    @Test("raw rows and rollups before a cutoff go, in batches, per tenant; aggregates keep what rollups hold", arguments: StoreKind.allCases)
    func retention(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let (a, b) = try await { let ids = try await f.deviceIDs(["a", "b"], now: Self.base); return (ids[0], ids[1]) }()
        let c = try #require(try await f.ingest.resolveDevices([DeviceKey(tenant: "t1", uid: "c")], now: Self.base).values.first)
        for (device, tag) in [(a, "a"), (b, "b"), (c, "c")] { try await Self.write(f, device, tag: tag) }
        let tenants = try await f.api.tenants()
        let t0 = try #require(tenants.first { $0.name == "t0" }?.id)
        let cutoff = Self.base + 30 * Self.minute

        // Nothing rolled up yet: with rollups on, nothing may go.
        #expect(try await f.api.deleteTelemetry(tenantID: t0, before: cutoff, rolledUpOnly: true, limit: 1000) == 0)
        try await RollupCompactor(store: f.api, chunk: 1000).catchUp()
        let (before, _) = try await DataVersionConformanceTests.read(f, a)

        // 30 old rows each for a and b: two bounded batches.
        #expect(try await f.api.deleteTelemetry(tenantID: t0, before: cutoff, rolledUpOnly: true, limit: 25) == 25)
        #expect(try await f.api.deleteTelemetry(tenantID: t0, before: cutoff, rolledUpOnly: true, limit: 1000) == 35)
        #expect(try await f.api.deleteTelemetry(tenantID: t0, before: cutoff, rolledUpOnly: true, limit: 1000) == 0)
        let (rawA, plannedA) = try await Self.counts(f, a)
        #expect(rawA == 30 && plannedA == 60, "raw rows went; the rollups still count them (\(String(describing: rawA)), \(String(describing: plannedA)))")
        #expect(try await Self.counts(f, c).raw == 60, "another tenant keeps everything")
        let (after, page) = try await DataVersionConformanceTests.read(f, a)
        #expect(after != before && page.ts.count == 5, "a device that lost rows has a new data version")

        // Rollup minutes before the first ten minutes go: those minutes are gone for good.
        let rollupCutoff = Self.base + 10 * Self.minute
        #expect(try await f.api.deleteRollups(tenantID: t0, before: rollupCutoff, limit: 1000) == 20)
        #expect(try await f.api.deleteRollups(tenantID: t0, before: rollupCutoff, limit: 1000) == 0)
        #expect(try await Self.counts(f, a).planned == 50)
        #expect(try await Self.counts(f, c).planned == 60)

        // The job: tenant t1 keeps raw rows one day; at base + 1 day + 30 minutes, c's first 30 go.
        var settings = RetentionSettings()
        settings.tenantRawDays["t1"] = 1
        settings.batchSize = 7
        settings.pause = 0
        let clock = ManualEpochClock(start: Self.base + 86_400_000 + 30 * Self.minute)
        let job = RetentionJob(store: f.api, settings: settings, rollupsOn: true, clock: clock)
        #expect(try await job.runOnce() == RetentionJob.Round(telemetry: 30, rollups: 0))
        #expect(try await Self.counts(f, c).raw == 30)
        #expect(try await Self.counts(f, a).raw == 30, "t0 has no policy in these settings")
    }

    @Test("without rollups raw rows go whether rolled up or not; new rows after a full purge still roll up", arguments: StoreKind.allCases)
    func withoutRollups(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let a = try await f.deviceIDs(["a"], now: Self.base)[0]
        try await Self.write(f, a, tag: "a")
        try await RollupCompactor(store: f.api, chunk: 1000).catchUp()
        let t0 = try #require(try await f.api.tenants().first { $0.name == "t0" }?.id)
        #expect(try await f.api.deleteTelemetry(tenantID: t0, before: .max, rolledUpOnly: false, limit: 1000) == 60)
        // The rollups of the purged rows go too (all of them: the minutes before .max).
        #expect(try await f.api.deleteRollups(tenantID: t0, before: .max, limit: 1000) == 60)
        // Everything went (the newest row too): rows written now are rolled up, not taken as done.
        try await Self.write(f, a, tag: "again")
        try await RollupCompactor(store: f.api, chunk: 1000).catchUp()
        #expect(try await Self.counts(f, a).planned == 60)
    }

    @Test("a lease: one holder at a time, renewed by its holder, taken over once it lapses", arguments: StoreKind.allCases)
    func lease(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        #expect(try await f.api.claimLease("retention", holder: "n1", until: 100, now: 0))
        #expect(try await f.api.claimLease("retention", holder: "n2", until: 200, now: 50) == false)
        #expect(try await f.api.claimLease("retention", holder: "n1", until: 300, now: 60))
        #expect(try await f.api.claimLease("other", holder: "n2", until: 300, now: 60), "leases are by name")
        #expect(try await f.api.claimLease("retention", holder: "n2", until: 500, now: 301))
        #expect(try await f.api.claimLease("retention", holder: "n1", until: 600, now: 400) == false)
    }
}
