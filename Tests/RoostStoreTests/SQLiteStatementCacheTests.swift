import RoostCore
import RoostStore
import Testing

@testable import RoostSQLite

/// The direct connections keep their statements compiled for reuse; SQLite throws that away
/// when a statement's plan depends on a bound value (`LIMIT ?`, or `device_id = ?` beside an
/// ORDER BY the index gives), and then parses it again on every use. Every hot path runs
/// twice here and no cached statement may have been compiled again.
@Suite("SQLite statement cache")
struct SQLiteStatementCacheTests {
    @Test("ingest, rollups, history, aggregates and device lookups reuse their compiled statements")
    func noRecompiles() async throws {
        try await StoreFixture.withSQLiteStore { store, _ in try await Self.runHotPaths(store) }
    }

    static func runHotPaths(_ store: SQLiteStore) async throws {
        let ingest = SQLiteIngestStore(store: store)
        let api = SQLiteAPIStore(store: store)
        let keys = [DeviceKey(tenant: "t0", uid: "a"), DeviceKey(tenant: "t0", uid: "b")]
        let ids = try await ingest.resolveDevices(Set(keys), now: 0)
        let device = try #require(ids[keys[0]])
        let base: Int64 = 1_700_000_000_000
        for round in 0..<2 {
            var batch = IngestBatch()
            for i in 0..<100 {
                let ts = base + Int64(round * 100 + i) * 1_000
                batch.telemetry.append(
                    TelemetryRecord(
                        device: ids[keys[i % 2]]!, ts: ts, receivedAt: ts, msgID: "m\(round)-\(i)",
                        data: "{\"temp\":\(i)}"))
                batch.lastSeen[ids[keys[i % 2]]!] = ts
            }
            batch.latest[device] = LatestValues(ts: base, data: "{\"temp\":1}")
            batch.statuses = [StatusRecord(device: device, online: round == 0, at: base + Int64(round), reason: "test")]
            batch.deadLetters = [
                DeadLetterRecord(
                    device: device, topic: "t0/devices/a/telemetry", receivedAt: base, reason: "not_json",
                    detail: "x", payload: [0x78])
            ]
            _ = try await ingest.write(batch)
            _ = try await RollupCompactor(store: api, chunk: 150).catchUp()

            let page = try await api.historyPage(HistoryQuery(device: device, limit: 30))
            #expect(page.points.count == 30)
            var after = HistoryQuery(device: device, limit: 10, ascending: true)
            (after.afterTS, after.afterID) = (base, 1)
            _ = try await api.historyPage(after)
            let found = try await api.device(id: device, tenantID: nil)
            #expect(found?.uid == "a")
            let table = try await AggregatePlanner(store: api).aggregate(
                AggregateQuery(
                    device: device, keys: ["temp"], from: base, to: base + 3_600_000, bucket: 60_000,
                    functions: [.avg, .last]))
            #expect(!table.starts.isEmpty)
        }
        let recompiled = try await store.recompiledStatements()
        #expect(recompiled.isEmpty, "compiled again on use: \(recompiled)")
    }

    @Test("a transaction a failed job left open on a reader does not break later history pages")
    func leftOpenTransaction() async throws {
        try await StoreFixture.withSQLiteStore { store, _ in
            let ingest = SQLiteIngestStore(store: store)
            let api = SQLiteAPIStore(store: store)
            let key = DeviceKey(tenant: "t0", uid: "a")
            let device = try #require(try await ingest.resolveDevices([key], now: 0)[key])
            var batch = IngestBatch()
            batch.telemetry = (0..<5).map {
                TelemetryRecord(device: device, ts: Int64($0), receivedAt: 0, msgID: "m\($0)", data: "{}")
            }
            _ = try await ingest.write(batch)
            // Every reader connection (they are used in turn) is left inside a transaction.
            for _ in 0..<16 { _ = try? await store.read { db in try db.execute("BEGIN") } }
            #expect(try await store.read { db in db.inTransaction })
            for _ in 0..<16 {
                let page = try await api.historyPage(HistoryQuery(device: device, limit: 3))
                #expect(page.ts == [4, 3, 2])
            }
        }
    }
}
