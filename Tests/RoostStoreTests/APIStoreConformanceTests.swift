import Foundation
import RoostStore
import Testing

/// One suite, both stores: what the REST API needs of a store.
@Suite("Store conformance: API")
struct APIStoreConformanceTests {
    static let now: Int64 = 1_700_000_000_000

    @Test("users: unique email, update, refresh tokens used once, API keys", arguments: StoreKind.allCases)
    func users(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let api = f.api
        #expect(try await api.userCount() == 0)
        let tenant = try await api.createTenant(name: "acme", now: Self.now)
        let admin = try await api.createUser(
            email: "a@x.io", name: "A", role: .platformAdmin, tenantID: nil, passwordHash: "h1", now: Self.now)
        let viewer = try await api.createUser(
            email: "v@x.io", name: "V", role: .viewer, tenantID: tenant.id, passwordHash: "h2", now: Self.now)
        await #expect(throws: StoreError.self) {
            _ = try await api.createUser(
                email: "a@x.io", name: "", role: .viewer, tenantID: nil, passwordHash: "h", now: Self.now)
        }
        #expect(try await api.userCount() == 2)
        #expect(try await api.user(email: "v@x.io")?.tenantID == tenant.id)
        #expect(try await api.users(tenantID: tenant.id).map(\.id) == [viewer.id])
        #expect(try await api.users(tenantID: nil).count == 2)
        let changed = try await api.updateUser(id: viewer.id, name: nil, role: .operator, passwordHash: nil)
        #expect(changed?.role == .operator && changed?.name == "V" && changed?.passwordHash == "h2")
        #expect(try await api.updateUser(id: 999_999, name: "x", role: nil, passwordHash: nil) == nil)

        try await api.storeRefreshToken(hash: [1, 2, 3], userID: admin.id, expiresAt: Self.now + 1000, now: Self.now)
        let taken = try await api.takeRefreshToken(hash: [1, 2, 3])
        #expect(taken?.userID == admin.id && taken?.expiresAt == Self.now + 1000)
        #expect(try await api.takeRefreshToken(hash: [1, 2, 3]) == nil)
        try await api.storeRefreshToken(hash: [4], userID: admin.id, expiresAt: Self.now + 1000, now: Self.now)
        try await api.revokeRefreshTokens(userID: admin.id)
        #expect(try await api.takeRefreshToken(hash: [4]) == nil)

        let secret = SecretHash.make("s3cret")
        let key = try await api.createAPIKey(
            prefix: "rk_abc", name: "ci", userID: viewer.id, tenantID: tenant.id, role: .viewer, secret: secret,
            now: Self.now)
        #expect(try await api.apiKey(prefix: "rk_abc")?.secret.verify("s3cret") == true)
        #expect(try await api.apiKeys(userID: viewer.id).map(\.id) == [key.id])
        #expect(try await api.deleteAPIKey(id: key.id, userID: admin.id) == false)
        #expect(try await api.deleteAPIKey(id: key.id, userID: viewer.id))
        #expect(try await api.deleteUser(id: viewer.id))
        #expect(try await api.user(id: viewer.id) == nil)
    }

    @Test("devices: create, filter, page, update, tenant scoping, delete with data", arguments: StoreKind.allCases)
    func devices(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let api = f.api
        let a = try await api.createTenant(name: "a", now: Self.now)
        let b = try await api.createTenant(name: "b", now: Self.now)
        await #expect(throws: StoreError.self) { _ = try await api.createTenant(name: "a", now: Self.now) }
        let pump = try await api.createDevice(
            tenantID: a.id, uid: "pump-1", name: "Pump", labels: #"{"site":"north"}"#, now: Self.now)
        _ = try await api.createDevice(
            tenantID: a.id, uid: "fan_2", name: nil, labels: #"{"site":"south"}"#, now: Self.now)
        let other = try await api.createDevice(tenantID: b.id, uid: "pump-1", name: nil, labels: "{}", now: Self.now)
        await #expect(throws: StoreError.self) {
            _ = try await api.createDevice(tenantID: a.id, uid: "pump-1", name: nil, labels: "{}", now: Self.now)
        }
        #expect(try await api.devices(DeviceQuery(tenantID: a.id)).total == 2)
        #expect(try await api.devices(DeviceQuery()).total == 3)
        #expect(
            try await api.devices(DeviceQuery(tenantID: a.id, label: ("site", "north"))).devices.map(\.uid) == [
                "pump-1"
            ])
        #expect(try await api.devices(DeviceQuery(tenantID: a.id, search: "PUMP")).devices.map(\.uid) == ["pump-1"])
        // LIKE wildcards in a search are literal.
        #expect(try await api.devices(DeviceQuery(search: "n_2")).total == 1)
        #expect(try await api.devices(DeviceQuery(search: "%")).total == 0)
        let first = try await api.devices(DeviceQuery(limit: 2))
        let page = try await api.devices(DeviceQuery(limit: 2, afterID: first.devices.last!.id))
        #expect(first.devices.count == 2 && page.devices.count == 1 && page.total == 3)
        #expect(try await api.device(id: pump.id, tenantID: b.id) == nil)
        #expect(try await api.device(id: pump.id, tenantID: a.id)?.name == "Pump")
        let renamed = try await api.updateDevice(id: pump.id, name: "Main pump", labels: nil)
        #expect(renamed?.name == "Main pump" && renamed?.labels.contains("north") == true)
        let counts = try await api.deviceCounts(tenantID: nil)
        #expect(counts.total == 3 && counts.online == 0)

        var batch = IngestBatch()
        batch.telemetry.append(
            TelemetryRecord(device: pump.id, ts: Self.now, receivedAt: Self.now, msgID: "m1", data: #"{"t":1}"#))
        batch.telemetry.append(
            TelemetryRecord(device: other.id, ts: Self.now, receivedAt: Self.now, msgID: "m1", data: #"{"t":1}"#))
        batch.statuses.append(StatusRecord(device: pump.id, online: true, at: Self.now, reason: "connect"))
        _ = try await f.ingest.write(batch)
        #expect(try await api.deviceCounts(tenantID: a.id).online == 1)
        #expect(try await api.deleteDevice(id: pump.id))
        #expect(try await api.device(id: pump.id, tenantID: nil) == nil)
        #expect(try await f.int("SELECT count(*) FROM telemetry") == 1)
        #expect(try await f.int("SELECT count(*) FROM status_events") == 0)
        #expect(try await api.deleteTenant(id: b.id))
        #expect(try await f.int("SELECT count(*) FROM telemetry") == 0)
        #expect(try await api.tenants().map(\.name) == ["a"])
    }

    @Test("history pages by cursor both ways; raw payload kept", arguments: StoreKind.allCases)
    func history(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let device = try await f.ingest.resolveDevices([DeviceKey(tenant: "t0", uid: "d")], now: Self.now).values.first!
        var batch = IngestBatch()
        // 25 points, two per timestamp for some, to exercise the (ts, id) tiebreak.
        for i in 0..<25 {
            batch.telemetry.append(
                TelemetryRecord(
                    device: device, ts: Self.now + Int64(i / 2) * 1000, receivedAt: Self.now, msgID: "m\(i)",
                    data: "{\"v\":\(i)}",
                    payload: "{\"msg_id\":\"m\(i)\",\"data\":{\"v\":\(i)}}"))
        }
        _ = try await f.ingest.write(batch)
        var seen: [String] = []
        var keys: [[Int64]] = []
        var cursor: TelemetryPoint?
        repeat {
            let page = try await f.api.history(
                HistoryQuery(device: device, limit: 7, afterTS: cursor?.ts, afterID: cursor?.id))
            seen += page.compactMap(\.msgID)
            keys += page.map { [$0.ts, $0.id] }
            cursor = page.count == 7 ? page.last : nil
        } while cursor != nil
        #expect(seen.count == 25 && Set(seen).count == 25)
        #expect(seen.first == "m24" || seen.first == "m23")
        // The route's one-step read: the page only for the device's own tenant (or any).
        let tenant = try #require(try await f.api.device(id: device, tenantID: nil)?.tenantID)
        let firstThree = HistoryQuery(device: device, limit: 3)
        let own = try await f.api.historyPage(firstThree, tenantID: tenant, unlessVersion: nil)
        #expect(own?.page?.count == 3)
        #expect(try await f.api.historyPage(firstThree, tenantID: nil, unlessVersion: nil)?.page?.count == 3)
        #expect(try await f.api.historyPage(firstThree, tenantID: tenant + 1, unlessVersion: nil) == nil)
        var elsewhere = firstThree
        elsewhere.device = device + 1_000
        #expect(try await f.api.historyPage(elsewhere, tenantID: nil, unlessVersion: nil) == nil)
        // Newest first in (ts, id) order across pages; oldest-first pages give the reverse.
        #expect(keys == keys.sorted { $0.lexicographicallyPrecedes($1) }.reversed())
        var up: [String] = []
        var upCursor: TelemetryPoint?
        repeat {
            let page = try await f.api.history(
                HistoryQuery(device: device, limit: 6, ascending: true, afterTS: upCursor?.ts, afterID: upCursor?.id))
            up += page.compactMap(\.msgID)
            upCursor = page.count == 6 ? page.last : nil
        } while upCursor != nil
        #expect(up == seen.reversed())
        var withPayload = HistoryQuery(device: device, limit: 3, ascending: true)
        withPayload.includePayload = true
        let oldest = try await f.api.history(withPayload)
        #expect(try await f.api.history(HistoryQuery(device: device, limit: 1)).first?.payload == nil)
        #expect(oldest.map(\.msgID) == ["m0", "m1", "m2"])
        #expect(oldest.first?.payload == "{\"msg_id\":\"m0\",\"data\":{\"v\":0}}")
        let window = try await f.api.history(
            HistoryQuery(device: device, from: Self.now + 2000, to: Self.now + 4000, limit: 100))
        #expect(window.count == 4 && window.allSatisfy { $0.ts >= Self.now + 2000 && $0.ts < Self.now + 4000 })

        // Text beyond ASCII, and a point without msg_id, come back as stored.
        var more = IngestBatch()
        more.telemetry = [
            TelemetryRecord(
                device: device, ts: Self.now + 100_000, receivedAt: Self.now + 1, msgID: "mé-☃",
                data: #"{"name":"Zürich ☃","v":1}"#, payload: #"{"name":"Zürich ☃"}"#),
            TelemetryRecord(device: device, ts: Self.now + 100_001, receivedAt: Self.now + 2, msgID: nil, data: "{}"),
        ]
        _ = try await f.ingest.write(more)
        var newest = HistoryQuery(device: device, limit: 2)
        newest.includePayload = true
        let last = try await f.api.history(newest)
        #expect(last.map(\.msgID) == [nil, "mé-☃"] && last.map(\.receivedAt) == [Self.now + 2, Self.now + 1])
        // PostgreSQL's jsonb keeps the values, not the spelling: compare as JSON.
        func json(_ text: String?) -> NSDictionary? {
            text.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? NSDictionary }
        }
        #expect(json(last.last?.data) == ["name": "Zürich ☃", "v": 1] as NSDictionary)
        #expect(json(last.last?.payload) == ["name": "Zürich ☃"] as NSDictionary && last.first?.payload == nil)
    }

    @Test("history pages follow (ts, id) when rows arrive out of time order", arguments: StoreKind.allCases)
    func historyOutOfOrder(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let ids = try await f.deviceIDs(["a", "b"], now: Self.now)
        let (device, other) = (ids[0], ids[1])
        var n = 0
        for round in 0..<4 {
            var batch = IngestBatch()
            for i in 0..<12 {
                // Times jump back and forth between batches and repeat within them.
                let ts = Self.now + Int64((i * 7 + round * 5) % 13) * 1000
                for d in [device, other] {
                    batch.telemetry.append(
                        TelemetryRecord(device: d, ts: ts, receivedAt: Self.now, msgID: "r\(n)", data: "{\"v\":\(n)}"))
                    n += 1
                }
            }
            _ = try await f.ingest.write(batch)
        }
        let all = try await f.api.history(HistoryQuery(device: device, limit: 1_000, ascending: true))
        #expect(all.count == 48)
        let order = all.map { [$0.ts, $0.id] }
        #expect(order == order.sorted { $0.lexicographicallyPrecedes($1) })
        for limit in [1, 5, 48, 100] {
            var down: [Int64] = []
            var cursor: TelemetryPoint?
            repeat {
                let page = try await f.api.history(
                    HistoryQuery(device: device, limit: limit, afterTS: cursor?.ts, afterID: cursor?.id))
                down += page.map(\.id)
                cursor = page.count == limit ? page.last : nil
            } while cursor != nil
            #expect(down == all.map(\.id).reversed(), "limit \(limit)")
        }
        let window = try await f.api.history(
            HistoryQuery(device: device, from: Self.now + 3000, to: Self.now + 6000, limit: 4))
        let expected = all.filter { $0.ts >= Self.now + 3000 && $0.ts < Self.now + 6000 }.reversed().prefix(4)
        #expect(window.map(\.id) == expected.map(\.id))
    }

    @Test("aggregates: buckets, every function, only numbers count", arguments: StoreKind.allCases)
    func aggregate(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let device = try await f.ingest.resolveDevices([DeviceKey(tenant: "t0", uid: "d")], now: Self.now).values.first!
        var batch = IngestBatch()
        let base = Self.now - Self.now % 60_000  // buckets start at multiples of their size
        // Minute 0: temp 1, 2, 3; minute 1: temp 10 and a string; "extra.hum" only in minute 1;
        // minute 2: no value of either key (left out).
        let rows: [(Int64, String)] = [
            (0, #"{"temp":1}"#), (10_000, #"{"temp":2}"#), (20_000, #"{"temp":3}"#),
            (60_000, #"{"temp":10,"extra.hum":40}"#), (70_000, #"{"temp":"n/a","extra.hum":true}"#),
            (130_000, #"{"other":1}"#),
        ]
        for (i, (offset, data)) in rows.enumerated() {
            batch.telemetry.append(
                TelemetryRecord(device: device, ts: base + offset, receivedAt: Self.now, msgID: "m\(i)", data: data)
            )
        }
        _ = try await f.ingest.write(batch)
        let result = try await f.api.aggregate(
            AggregateQuery(
                device: device, keys: ["temp", "extra.hum"], from: base + 5_000, to: base + 180_000, bucket: 60_000,
                functions: AggregateFunction.allCases))
        #expect(result.map(\.start) == [base, base + 60_000])
        let m0 = result[0].values["temp"] ?? [:]
        // from cuts the first bucket: the point at base + 0 is outside.
        #expect(m0[.avg] == 2.5 && m0[.min] == 2 && m0[.max] == 3 && m0[.count] == 2 && m0[.sum] == 5)
        #expect(m0[.first] == 2 && m0[.last] == 3)
        #expect(result[0].values["extra.hum"]?[.avg] == nil)
        #expect(result[0].values["extra.hum"]?[.count] ?? 0 == 0)
        let m1 = result[1].values["temp"] ?? [:]
        #expect(m1[.count] == 1 && m1[.avg] == 10 && m1[.last] == 10)
        let hum = result[1].values["extra.hum"] ?? [:]
        #expect(hum[.count] == 2 && hum[.max] == 40 && hum[.min] == 1 && hum[.first] == 40 && hum[.last] == 1)
    }
}
