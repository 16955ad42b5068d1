import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import Testing

/// Devices through the API and the broker together: credentials from the API log in over MQTT,
/// what they publish comes back as history, latest values, aggregates and exports.
@Suite("API: devices and telemetry")
struct DeviceAPITests {
    @Test(
        "create → MQTT login with the credentials → history, latest, aggregate, export → rotate → delete",
        arguments: StoreKind.allCases)
    func endToEnd(_ kind: StoreKind) async throws {
        let server = try await APITestServer.start(kind)
        defer { Task { await server.stop() } }
        let admin = server.http()
        let created = try await admin.post(
            "/api/v1/devices", ["uid": "pump-1", "name": "Pump", "labels": ["site": "north"]])
        #expect(created.status == 201, "\(created.text)")
        let id = try #require(created.json["id"] as? Int)
        let credentials = try #require(created.json["credentials"] as? [String: Any])
        let username = try #require(credentials["mqtt_username"] as? String)
        let password = try #require(credentials["mqtt_password"] as? String)
        #expect(try await admin.get("/api/v1/devices/\(id)").json["credentials"] == nil)

        let device = server.mqttClient("pump-1", username: username, password: password)
        try await device.connect()
        let base: Int64 = 1_764_000_000_000
        for i in 0..<30 {
            let payload =
                #"{"msg_id":"m\#(i)","ts":\#(base + Int64(i) * 20_000),"data":{"temp":\#(20 + i),"extra":{"hum":40},"mode":"run"}}"#
            try await device.publish(
                topic: "t0/devices/pump-1/telemetry", payload: ByteBuffer(string: payload), qos: .atLeastOnce)
        }
        try await device.disconnect()

        let page1 = try await admin.get("/api/v1/devices/pump-1/telemetry?limit=20")
        #expect(page1.items.count == 20)
        #expect((page1.items.first?["data"] as? [String: Any])?["temp"] as? Double == 49)
        #expect(page1.items.first?["ts"] as? String == "2025-11-24T16:09:40.000Z")
        let cursor = try #require(page1.json["next_cursor"] as? String)
        let page2 = try await admin.get("/api/v1/devices/pump-1/telemetry?limit=20&cursor=\(cursor)")
        #expect(page2.items.count == 10 && page2.json["next_cursor"] is NSNull)
        let oldest = try await admin.get("/api/v1/devices/\(id)/telemetry?order=asc&limit=1&keys=temp")
        let raw = try await admin.get("/api/v1/devices/\(id)/telemetry?order=asc&limit=1&include=payload")
        #expect((raw.items.first?["payload"] as? [String: Any])?["msg_id"] as? String == "m0")
        #expect((oldest.items.first?["data"] as? [String: Any])?.keys.sorted() == ["temp"])
        let window = try await admin.get(
            "/api/v1/devices/pump-1/telemetry?from=2025-11-24T16:00:00Z&to=\(base + 100_000)")
        #expect(window.items.count == 5)

        let latest = try await admin.get("/api/v1/devices/pump-1/telemetry/latest")
        #expect((latest.json["data"] as? [String: Any])?["mode"] as? String == "run")
        // The disconnect's offline status is committed by ingest, asynchronously to this test.
        var shown = try await admin.get("/api/v1/devices/pump-1")
        try await eventually("the device to read offline", within: 15) {
            shown = try await admin.get("/api/v1/devices/pump-1")
            return shown.json["status"] as? String == "offline"
        }
        #expect(shown.json["status"] as? String == "offline" && shown.json["last_seen"] is String)

        let agg = try await admin.get(
            "/api/v1/devices/pump-1/aggregate?keys=temp,extra.hum,mode&from=\(base)&to=\(base + 600_000)&bucket=5m&fn=avg,min,max,count,sum,first,last"
        )
        let buckets = try #require(agg.json["buckets"] as? [[String: Any]])
        #expect(buckets.count == 2)
        let first = try #require((buckets[0]["values"] as? [String: Any])?["temp"] as? [String: Any])
        #expect(first["count"] as? Double == 15 && first["min"] as? Double == 20 && first["max"] as? Double == 34)
        #expect(first["first"] as? Double == 20 && first["last"] as? Double == 34 && first["avg"] as? Double == 27)
        let mode = try #require((buckets[0]["values"] as? [String: Any])?["mode"] as? [String: Any])
        #expect(mode["count"] as? Double == 0 && mode["avg"] is NSNull)

        let csv = try await admin.get("/api/v1/devices/pump-1/export?format=csv&keys=temp,mode")
        #expect(csv.headers["content-type"]?.hasPrefix("text/csv") == true)
        let lines = csv.text.split(separator: "\n")
        #expect(lines.count == 31 && lines[0] == "ts,received_at,msg_id,temp,mode" && lines[1].hasSuffix(",m0,20,run"))
        let ndjson = try await admin.get("/api/v1/devices/pump-1/export")
        #expect(ndjson.text.split(separator: "\n").count == 30)

        let events = try await admin.get("/api/v1/devices/pump-1/events")
        #expect(events.items.map { $0["online"] as? Bool } == [false, true])
        let stats = try await admin.get("/api/v1/stats")
        #expect(stats.json["devices_total"] as? Int == 1 && (stats.json["telemetry_stored"] as? Int ?? 0) >= 30)
        // Every message came within the last minute, and the first call already counts them.
        let total = try #require(stats.json["messages_total"] as? Int)
        #expect(total >= 30 && stats.json["messages_per_minute"] as? Int == total)

        // Rotation: old password refused, new one accepted.
        let rotated = try await admin.post("/api/v1/devices/pump-1/credentials", [:])
        let newPassword = try #require((rotated.json["credentials"] as? [String: Any])?["mqtt_password"] as? String)
        let newUser = try #require((rotated.json["credentials"] as? [String: Any])?["mqtt_username"] as? String)
        // The new user name with the old password is refused (0x86).
        await #expect(throws: (any Error).self) {
            try await server.mqttClient("old", username: newUser, password: password).connect()
        }
        let again = server.mqttClient("pump-1", username: newUser, password: newPassword)
        try await again.connect()
        try await again.disconnect()

        #expect(
            try await admin.patch("/api/v1/devices/pump-1", ["name": "Main", "labels": ["site": "south"]]).json["name"]
                as? String == "Main")
        #expect(try await admin.get("/api/v1/devices?label=site:south").items.count == 1)
        // The disconnect's offline event is written by the ingest writer after the fact.
        var online = try await admin.get("/api/v1/devices?status=online").items
        for _ in 0..<100 where !online.isEmpty {
            try await Task.sleep(for: .milliseconds(50))
            online = try await admin.get("/api/v1/devices?status=online").items
        }
        #expect(online.isEmpty)
        #expect(try await admin.delete("/api/v1/devices/pump-1").status == 204)
        #expect(try await admin.get("/api/v1/devices/\(id)/telemetry").status == 404)
    }

    @Test("device list pages by cursor and filters by search", arguments: StoreKind.allCases)
    func paging(_ kind: StoreKind) async throws {
        let server = try await APITestServer.start(kind)
        defer { Task { await server.stop() } }
        let admin = server.http()
        for i in 0..<7 { #expect(try await admin.post("/api/v1/devices", ["uid": "dev-\(i)"]).status == 201) }
        var seen: [String] = []
        var path = "/api/v1/devices?limit=3"
        while true {
            let page = try await admin.get(path)
            seen += page.items.compactMap { $0["uid"] as? String }
            guard let next = page.json["next_cursor"] as? String else { break }
            path = "/api/v1/devices?limit=3&cursor=\(next)"
        }
        #expect(seen == (0..<7).map { "dev-\($0)" })
        #expect(try await admin.get("/api/v1/devices?q=DEV-3").items.count == 1)
    }
}
