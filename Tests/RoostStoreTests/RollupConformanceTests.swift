import RoostCore
import RoostStore
import Testing

/// Per-minute rollups on both stores: the compactor folds every row in once, and aggregates
/// answered from rollups plus the raw tail equal the store's aggregate over raw rows, at every
/// watermark, with late rows and after deletions.
@Suite("Store conformance: rollups")
struct RollupConformanceTests {
    static let base: Int64 = 1_700_000_000_000 - 1_700_000_000_000 % 3_600_000

    /// A small deterministic generator (the same rows on every run).
    struct Rows {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }

        /// `count` rows over 40 minutes in shuffled order; distinct times, so `first` and
        /// `last` have one answer.
        mutating func make(device: Int64, count: Int, slot: Int, tag: String) -> [TelemetryRecord] {
            var rows: [TelemetryRecord] = (0..<count).map { i in
                let ts = RollupConformanceTests.base + Int64(i) * 2_400_000 / Int64(count) + Int64(slot)
                var members = ["\"mode\":\"run\""]
                if next(5) > 0 { members.append("\"temp\":\(Double(next(4000)) / 100 - 10)") }
                if next(3) > 0 { members.append("\"hum\":\(next(100))") }
                if next(4) == 0 { members.append("\"on\":\(next(2) == 0)") }
                return TelemetryRecord(
                    device: device, ts: ts, receivedAt: ts, msgID: "\(tag)-\(i)",
                    data: "{\(members.joined(separator: ","))}")
            }
            for i in rows.indices.reversed() { rows.swapAt(i, next(i + 1)) }
            return rows
        }
    }

    static func write(_ rows: ArraySlice<TelemetryRecord>, _ f: StoreFixture) async throws {
        var start = rows.startIndex
        while start < rows.endIndex {
            var batch = IngestBatch()
            batch.telemetry = Array(rows[start..<min(start + 50, rows.endIndex)])
            _ = try await f.ingest.write(batch)
            start += 50
        }
    }

    static let queries: [(from: Int64, to: Int64, bucket: Int64)] = [
        (base + 17_000, base + 39 * 60_000 + 5_000, 60_000),  // cut at both ends
        (base, base + 2_400_000, 300_000),
        (base - 3_600_000, base + 7_200_000, 3_600_000),
        (base + 61_000, base + 200_000, 60_000),
    ]

    /// The planner's answer equals the raw aggregate for every query.
    static func expectSameAnswers(_ f: StoreFixture, device: Int64, _ note: String) async throws {
        let planner = AggregatePlanner(store: f.api)
        let functionSets: [[AggregateFunction]] = [
            AggregateFunction.allCases, [.avg], [.min, .max], [.last, .first], [.sum, .count],
        ]
        for (from, to, bucket) in queries {
            for functions in functionSets {
                try await expectSame(f, planner, device, note, from: from, to: to, bucket: bucket, functions)
            }
        }
    }

    static func expectSame(
        _ f: StoreFixture, _ planner: AggregatePlanner, _ device: Int64, _ note: String, from: Int64, to: Int64,
        bucket: Int64, _ functions: [AggregateFunction]
    ) async throws {
        let q = AggregateQuery(
            device: device, keys: ["temp", "hum", "on", "mode"], from: from, to: to, bucket: bucket,
            functions: functions)
        let raw = try await f.api.aggregate(q)
        let rolled = try await planner.aggregate(q).buckets
        #expect(!raw.isEmpty)
        #expect(rolled.map(\.start) == raw.map(\.start), "\(note): bucket starts, \(bucket) ms")
        for (r, p) in zip(raw, rolled) {
            for key in q.keys {
                let a = r.values[key] ?? [:]
                let b = p.values[key] ?? [:]
                #expect(Set(a.keys) == Set(b.keys), "\(note): functions of \(key) at \(r.start)")
                for (fn, v) in a {
                    let w = b[fn] ?? .nan
                    #expect(
                        abs(v - w) <= 1e-9 * max(1, abs(v)), "\(note): \(key) \(fn) at \(r.start): \(v) vs \(w)")
                }
            }
        }
    }

    @Test("compactor folds every row once; planner equals raw at every watermark", arguments: StoreKind.allCases)
    func rollups(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let ids = try await f.deviceIDs(["a", "b"], now: Self.base)
        let (a, b) = (ids[0], ids[1])
        var gen = Rows(state: 42)
        let rowsA = gen.make(device: a, count: 600, slot: 1, tag: "a")
        let rowsB = gen.make(device: b, count: 200, slot: 2, tag: "b")
        try await Self.write(rowsA[0..<300], f)
        try await Self.write(rowsB[...], f)
        try await Self.expectSameAnswers(f, device: a, "no rollups yet")

        // Part of the rows rolled up, then more rows (many of them late) after the watermark.
        let compactor = RollupCompactor(store: f.api, chunk: 120)
        #expect(try await compactor.round() == 120)
        #expect(try await compactor.round() == 120)
        #expect(try await f.api.rollupWatermark().done > 0)
        try await Self.write(rowsA[300...], f)
        try await Self.expectSameAnswers(f, device: a, "watermark part way")

        #expect(try await compactor.catchUp() == 800 - 240)
        let mark = try await f.api.rollupWatermark()
        #expect(mark.lag == 0)
        try await Self.expectSameAnswers(f, device: a, "caught up")
        // Every numeric value went into exactly one cell.
        let cells = try await f.api.rollups(
            device: a, keys: ["temp", "hum", "on", "mode"], from: Self.base - 60_000, to: Self.base + 3_600_000,
            functions: [.count])
        let expected = rowsA.reduce(0) { n, r in
            n + ["\"temp\"", "\"hum\"", "\"on\""].filter { r.data.contains($0) }.count
        }
        #expect(cells.reduce(0) { $0 + Int($1.cell.count) } == expected)
        #expect(!cells.contains { $0.key == "mode" })

        // Deleting a device drops its rollups and voids a round computed before.
        #expect(try await f.api.deleteDevice(id: b))
        #expect(try await f.api.rollups(device: b, keys: ["temp"], from: 0, to: .max, functions: [.count]).isEmpty)
        #expect(try await f.api.writeRollups([], read: mark, through: mark.done) == false)

        // Deleting the newest rows (SQLite reuses rowids above the largest left) keeps rows
        // written afterwards out of the rolled-up range.
        let c = try await f.ingest.resolveDevices([DeviceKey(tenant: "t0", uid: "c")], now: Self.base).values.first!
        try await Self.write(gen.make(device: c, count: 30, slot: 3, tag: "c")[...], f)
        try await compactor.catchUp()
        #expect(try await f.api.deleteDevice(id: c))
        let after = try await f.api.rollupWatermark()
        #expect(after.done <= after.head)
        let late = gen.make(device: a, count: 40, slot: 4, tag: "late")
        try await Self.write(late[...], f)
        try await Self.expectSameAnswers(f, device: a, "after deleting the newest rows")
        try await compactor.catchUp()
        try await Self.expectSameAnswers(f, device: a, "caught up again")
        let total = try await f.api.rollups(
            device: a, keys: ["temp", "hum", "on"], from: 0, to: .max, functions: [.count])
        let expectedAll = (rowsA + late).reduce(0) { n, r in
            n + ["\"temp\"", "\"hum\"", "\"on\""].filter { r.data.contains($0) }.count
        }
        #expect(total.reduce(0) { $0 + Int($1.cell.count) } == expectedAll)

        // The planner does read the rollups: a changed cell shows in its answer only.
        _ = try await f.int("UPDATE telemetry_rollup SET n = n + 1000 WHERE key = 'temp' RETURNING n")
        let q = AggregateQuery(
            device: a, keys: ["temp"], from: Self.base, to: Self.base + 3_600_000, bucket: 3_600_000,
            functions: [.count])
        let raw = try await f.api.aggregate(q).first?.values["temp"]?[.count] ?? 0
        let rolled = try await AggregatePlanner(store: f.api).aggregate(q).buckets.first?.values["temp"]?[.count] ?? 0
        #expect(raw > 0 && rolled >= raw + 1000)
    }

    /// Counts per (key, minute) of the device's cells, duplicates of a minute added up.
    static func counts(_ f: StoreFixture, _ device: Int64) async throws -> [String: Int64] {
        var counts: [String: Int64] = [:]
        let cells = try await f.api.rollups(
            device: device, keys: ["temp", "hum", "on"], from: 0, to: .max, functions: [.count])
        for c in cells { counts["\(c.key)@\(c.minute)", default: 0] += c.cell.count }
        return counts
    }

    @Test("cells packed per hour answer the same, late cells of packed hours too", arguments: StoreKind.allCases)
    func packedHours(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let device = try await f.deviceIDs(["p"], now: Self.base)[0]
        var gen = Rows(state: 11)
        let rows = gen.make(device: device, count: 400, slot: 1, tag: "p")
        try await Self.write(rows[...], f)
        let compactor = RollupCompactor(store: f.api, chunk: 500)
        try await compactor.catchUp()
        let unpacked = try await Self.counts(f, device)
        // Half the minutes packed (PostgreSQL; SQLite keeps minute rows and moves nothing).
        let moved = try await f.api.packRollups(before: Self.base + 20 * 60_000)
        #expect(kind == .sqlite ? moved == 0 : moved > 0)
        #expect(try await Self.counts(f, device) == unpacked)
        try await Self.expectSameAnswers(f, device: device, "half packed")

        // Late rows in packed minutes become minute cells beside the packed hour, then join it.
        let late = gen.make(device: device, count: 80, slot: 2, tag: "late")
        try await Self.write(late[...], f)
        try await compactor.catchUp()
        try await Self.expectSameAnswers(f, device: device, "late cells beside packed hours")
        _ = try await f.api.packRollups(before: .max)
        try await Self.expectSameAnswers(f, device: device, "everything packed, some minutes twice")
        let expected = (rows + late).reduce(0) { n, r in
            n + ["\"temp\"", "\"hum\"", "\"on\""].filter { r.data.contains($0) }.count
        }
        #expect(try await Self.counts(f, device).values.reduce(0, +) == Int64(expected))

        // The compactor packs the hours that ended over an hour ago, once.
        let now = Self.base + 3 * 3_600_000 + 5_000
        let cutoff = try await compactor.pack(now: now)
        #expect(cutoff == Self.base + 2 * 3_600_000)
        #expect(try await compactor.pack(since: cutoff, now: now) == cutoff)
        // Deleting the device drops its packed hours too.
        #expect(try await f.api.deleteDevice(id: device))
        #expect(try await Self.counts(f, device).isEmpty)
    }

    @Test("two compactors on one store (two nodes): every row rolled up once", arguments: StoreKind.allCases)
    func twoCompactors(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let device = try await f.ingest.resolveDevices([DeviceKey(tenant: "t0", uid: "n")], now: Self.base).values
            .first!
        var gen = Rows(state: 7)
        let rows = gen.make(device: device, count: 1_000, slot: 1, tag: "n")
        try await Self.write(rows[...], f)
        let one = RollupCompactor(store: f.api, chunk: 37)
        let two = RollupCompactor(store: f.api, chunk: 53)
        async let a = one.catchUp()
        async let b = two.catchUp()
        let (rolledA, rolledB) = try await (a, b)
        // Each row went into exactly one winning round.
        #expect(rolledA + rolledB == 1_000)
        let cells = try await f.api.rollups(
            device: device, keys: ["temp", "hum", "on"], from: 0, to: .max, functions: [.count])
        let expected = rows.reduce(0) { n, r in
            n + ["\"temp\"", "\"hum\"", "\"on\""].filter { r.data.contains($0) }.count
        }
        #expect(cells.reduce(0) { $0 + Int($1.cell.count) } == expected)
        try await Self.expectSameAnswers(f, device: device, "two compactors")
    }
}
