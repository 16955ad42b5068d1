import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import Testing

@testable import RoostAPI

/// History pages kept by the API (HistoryCache) and their ETags: never older than the data,
/// never shown to another tenant, one answer per query shape.
@Suite("API: history cache and ETags")
struct HistoryCacheTests {
    static let base: Int64 = 1_764_000_000_000

    /// Publishes points `range` of device `uid` (tenant t0) at QoS 1: each is acknowledged only
    /// once committed, so the next request sees it.
    static func publish(_ server: APITestServer, _ uid: String, _ range: Range<Int>) async throws {
        let client = server.mqttClient(uid)
        _ = try await client.connect()
        for i in range {
            let payload = #"{"msg_id":"m\#(i)","ts":\#(base + Int64(i) * 1000),"data":{"temp":\#(i),"hum":40}}"#
            try await client.publish(
                topic: "t0/devices/\(uid)/telemetry", payload: ByteBuffer(string: payload), qos: .atLeastOnce)
        }
        await client.disconnect()
    }

    static func metric(_ server: APITestServer, _ name: String) async throws -> Double? {
        let text = try await server.http().get("/metrics").text
        let line = text.split(separator: "\n").first { $0.hasPrefix(name + " ") }
        return line.flatMap { Double($0.split(separator: " ")[1]) }
    }

    @Test("kept pages, 304s and new data after a write", arguments: StoreKind.allCases)
    func cachedPages(_ kind: StoreKind) async throws {
        let server = try await APITestServer.start(kind)
        defer { Task { await server.stop() } }
        let admin = server.http()
        try await Self.publish(server, "cached-1", 0..<20)
        let id = try #require(try await admin.get("/api/v1/devices/cached-1").json["id"] as? Int)
        let path = "/api/v1/devices/\(id)/telemetry?limit=5"

        let first = try await admin.get(path)
        #expect(first.status == 200)
        let etag = try #require(first.headers["etag"])
        #expect(first.headers["cache-control"] == "private, no-cache")
        #expect(first.items.map { $0["msg_id"] as? String } == ["m19", "m18", "m17", "m16", "m15"])
        let again = try await admin.get(path)
        #expect(again.body == first.body && again.headers["etag"] == etag)
        #expect(try await Self.metric(server, "roost_api_history_cache_hits_total") ?? 0 >= 1)
        // By uid: the same device, the same answer.
        #expect(try await admin.get("/api/v1/devices/cached-1/telemetry?limit=5").body == first.body)

        let unchanged = try await admin.get(path, headers: ["If-None-Match": "\"other\", W/\(etag)"])
        #expect(unchanged.status == 304 && unchanged.body.isEmpty && unchanged.headers["etag"] == etag)

        // Other shapes of query are other answers, each right.
        let projected = try await admin.get(path + "&keys=temp")
        #expect(projected.headers["etag"] != etag)
        #expect((projected.items.first?["data"] as? [String: Any])?.keys.sorted() == ["temp"])
        let oldest = try await admin.get("/api/v1/devices/\(id)/telemetry?limit=5&order=asc")
        #expect(oldest.items.first?["msg_id"] as? String == "m0")
        #expect(try await admin.get(path, headers: ["If-None-Match": oldest.headers["etag"] ?? ""]).status == 200)

        // A write replaces the device's version: the next answer has the new point.
        try await Self.publish(server, "cached-1", 20..<21)
        let fresh = try await admin.get(path, headers: ["If-None-Match": etag])
        #expect(fresh.status == 200)
        #expect(fresh.items.first?["msg_id"] as? String == "m20")
        #expect(fresh.headers["etag"] != nil && fresh.headers["etag"] != etag)
        #expect(try await admin.get(path).body == fresh.body)

        // Another tenant gets 404, not 304, with the ETag in hand.
        _ = try await admin.post("/api/v1/tenants", ["name": "other"])
        let tenants = try await admin.get("/api/v1/tenants").items
        let other = try #require(tenants.first { $0["name"] as? String == "other" }?["id"] as? Int)
        let created = try await admin.post(
            "/api/v1/users",
            ["email": "viewer@other.io", "password": "password-1", "role": "viewer", "tenant_id": other])
        #expect(created.status == 201)
        let stranger = server.http(try await server.login("viewer@other.io", "password-1"))
        let denied = try await stranger.get(path, headers: ["If-None-Match": fresh.headers["etag"] ?? ""])
        #expect(denied.status == 404 && denied.headers["etag"] == nil)

        // Deleted: gone, whatever was kept.
        #expect(try await admin.delete("/api/v1/devices/\(id)").status == 204)
        #expect(try await admin.get(path).status == 404)
    }

    @Test("with no cache, ETags still validate", arguments: [StoreKind.sqlite])
    func withoutCache(_ kind: StoreKind) async throws {
        let server = try await APITestServer.start(kind, historyCacheBytes: 0)
        defer { Task { await server.stop() } }
        let admin = server.http()
        try await Self.publish(server, "plain-1", 0..<3)
        let first = try await admin.get("/api/v1/devices/plain-1/telemetry")
        let etag = try #require(first.headers["etag"])
        let same = try await admin.get("/api/v1/devices/plain-1/telemetry", headers: ["If-None-Match": etag])
        #expect(same.status == 304)
        #expect(try await admin.get("/api/v1/devices/plain-1/telemetry").body == first.body)
        #expect(try await Self.metric(server, "roost_api_history_cache_hits_total") == 0)
        #expect(try await Self.metric(server, "roost_api_history_cache_entries") == 0)
    }

    @Test("least recently used pages go first; large ones are not kept")
    func eviction() {
        func key(_ device: Int64) -> HistoryCache.Key { HistoryCache.Key(device: device, query: "desc|5") }
        func entry(_ bytes: Int) -> HistoryCache.Entry {
            var body = ByteBufferAllocator().buffer(capacity: bytes)
            body.writeRepeatingByte(0x20, count: bytes)
            return HistoryCache.Entry(version: 7, body: body)
        }
        // Counted by allocation: NIO rounds a buffer's capacity up to a power of two.
        let unit = entry(100).body.capacity
        #expect(unit >= 100)
        let cache = HistoryCache(capacity: 8 * unit)
        cache.store(key(1), entry(unit))
        cache.store(key(2), entry(unit))
        cache.store(key(3), entry(unit + 1))  // over an eighth of the capacity: not kept
        #expect(cache.lookup(key(3)) == nil)
        for device in 3...8 { cache.store(key(Int64(device)), entry(unit)) }  // full
        _ = cache.lookup(key(1))  // 1 is now the most recent; 2 the least
        cache.store(key(9), entry(unit))
        #expect(cache.lookup(key(2)) == nil)
        #expect(cache.lookup(key(1)) != nil && cache.lookup(key(9)) != nil)
        #expect(cache.counts.bytes == 8 * unit && cache.counts.entries == 8)
        let small = entry(10)
        cache.store(key(1), small)  // replaced in place
        #expect(cache.counts.bytes == 7 * unit + small.body.capacity && cache.counts.entries == 8)
        #expect(cache.lookup(key(1))?.body == small.body)
    }

    @Test("an ETag names its version, and only for its own query")
    func etags() {
        let key = HistoryCache.Key(device: 4, query: "desc|1000|||false|*")
        for version: Int64 in [1, -1, .min, .max, 0x1234_5678] {
            let tag = HistoryCache.etag(key, version: version)
            #expect(HistoryCache.version(ifNoneMatch: tag, for: key) == version)
            #expect(HistoryCache.version(ifNoneMatch: "\"x\" , W/\(tag)", for: key) == version)
            let other = HistoryCache.Key(device: 4, query: "asc|1000|||false|*")
            #expect(HistoryCache.version(ifNoneMatch: tag, for: other) == nil)
        }
        #expect(HistoryCache.version(ifNoneMatch: "*", for: key) == nil)
        #expect(HistoryCache.version(ifNoneMatch: "\"zz-1\"", for: key) == nil)
    }
}
