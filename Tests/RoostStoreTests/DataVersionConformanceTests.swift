import Foundation
import RoostStore
import Testing

/// A device's data version (what the API's history cache rests on) on every store: replaced by
/// each telemetry write, read with the tenant check, and never repeated for a device made again
/// under an id that was used before.
@Suite("Store conformance: device data versions")
struct DataVersionConformanceTests {
    static let now: Int64 = 1_700_000_000_000

    static func write(_ f: StoreFixture, _ device: Int64, _ n: Int, from first: Int = 0) async throws {
        var batch = IngestBatch()
        for i in first..<(first + n) {
            batch.telemetry.append(
                TelemetryRecord(
                    device: device, ts: now + Int64(i) * 1000, receivedAt: now, msgID: "m\(i)", data: "{\"v\":\(i)}"))
            batch.lastSeen[device] = now
        }
        _ = try await f.ingest.write(batch)
    }

    /// The version and the page of the device's 5 newest points, read without a known version.
    static func read(_ f: StoreFixture, _ device: Int64) async throws -> (version: Int64?, page: HistoryPage) {
        let read = try #require(
            try await f.api.historyPage(HistoryQuery(device: device, limit: 5), tenantID: nil, unlessVersion: nil))
        guard case .page(let page, let version) = read else {
            Issue.record("a read without a known version gave \(read)")
            return (nil, HistoryPage())
        }
        return (version, page)
    }

    @Test("a write replaces the version; the same version reads nothing", arguments: StoreKind.allCases)
    func replacedByWrites(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let device = try await f.deviceIDs(["d"], now: Self.now)[0]
        try await Self.write(f, device, 3)
        let (first, page) = try await Self.read(f, device)
        let version = try #require(first)
        #expect(page.count == 3)
        let q = HistoryQuery(device: device, limit: 5)
        #expect(try await f.api.historyPage(q, tenantID: nil, unlessVersion: version) == .unchanged)
        let tenant = try #require(try await f.api.device(id: device, tenantID: nil)?.tenantID)
        #expect(try await f.api.historyPage(q, tenantID: tenant, unlessVersion: version) == .unchanged)
        // Another tenant learns nothing, not even that the version matched.
        #expect(try await f.api.historyPage(q, tenantID: tenant + 1, unlessVersion: version) == nil)

        try await Self.write(f, device, 2, from: 3)
        let after = try #require(try await f.api.historyPage(q, tenantID: nil, unlessVersion: version))
        guard case .page(let newer, let next) = after else {
            Issue.record("the old version still matched after a write")
            return
        }
        #expect(next != nil && next != version)
        #expect(newer.count == 5 && newer.ts.first == Self.now + 4000)
        // A batch that repeats stored messages only still counts as a write (a harmless miss).
        try await Self.write(f, device, 1, from: 0)
        #expect(try await Self.read(f, device).version != next)
    }

    @Test("a device without data has no version; a remade device gets a new one", arguments: StoreKind.allCases)
    func newDevices(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let tenant = try await f.api.createTenant(name: "acme", now: Self.now)
        let made = try await f.api.createDevice(tenantID: tenant.id, uid: "x", name: nil, labels: "{}", now: Self.now)
        let empty = try await Self.read(f, made.id)
        #expect(empty.version == nil && empty.page.count == 0)

        // Deleted and made again: SQLite may give the same id, never the same version.
        let device = try await f.deviceIDs(["again"], now: Self.now)[0]
        try await Self.write(f, device, 2)
        let old = try #require(try await Self.read(f, device).version)
        #expect(try await f.api.deleteDevice(id: device))
        let remade = try await f.deviceIDs(["again"], now: Self.now)[0]
        try await Self.write(f, remade, 1, from: 10)
        let fresh = try await Self.read(f, remade)
        #expect(fresh.version != nil && fresh.version != old)
        #expect(fresh.page.count == 1)
        #expect(
            try await f.api.historyPage(HistoryQuery(device: remade, limit: 5), tenantID: nil, unlessVersion: old)
                != .unchanged)
    }
}
