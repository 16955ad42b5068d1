import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import RoostCore
import Testing

/// Device shadows over real sockets: the API, a device on MQTT with its own credentials, the
/// realtime socket, both stores.
@Suite("API: device shadow")
struct ShadowTests {
    static func delta(_ inbox: AsyncStream<PublishPacket>, within seconds: Double = 5) async throws -> [String: Any] {
        let packet = try await withThrowingTaskGroup(of: PublishPacket?.self) { group in
            group.addTask {
                for await packet in inbox { return packet }
                return nil
            }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                return nil
            }
            let first = try await group.next() ?? nil
            group.cancelAll()
            return first
        }
        guard let packet else { throw SetupError("no delta within \(seconds) s") }
        #expect(packet.topic.hasSuffix("/shadow/delta") && packet.qos == .atLeastOnce)
        return try JSONSerialization.jsonObject(with: Data(packet.payload.readableBytesView)) as? [String: Any] ?? [:]
    }

    @Test("desired → delta to the device → its report clears it; versions, If-Match, realtime",
        arguments: StoreKind.allCases)
    func roundTrip(_ kind: StoreKind) async throws {
        let server = try await APITestServer.start(kind)
        defer { Task { await server.stop() } }
        let api = server.http()
        let (_, make) = try await CommandTests.device(server, "hvac-1")
        let fresh = try await api.get("/api/v1/devices/hvac-1/shadow")
        #expect(fresh.status == 200 && fresh.json["version"] as? Int == 0 && fresh.headers["etag"] == "\"0\"")

        let ws = RealtimeClient(port: server.httpPort, token: server.adminToken)
        defer { ws.close() }
        _ = try await ws.next("ready")
        ws.send(["type": "subscribe", "devices": ["hvac-1"], "kinds": ["shadow"]])
        _ = try await ws.next("snapshot")

        let client = make(server.mqttPort)
        let inbox = client.messages()
        try await client.connect()
        _ = try await client.subscribe([Subscription(filter: "t0/devices/hvac-1/shadow/delta", qos: .atLeastOnce)])

        let put = try await api.put(
            "/api/v1/devices/hvac-1/shadow/desired", ["mode": "cool", "target": 21.5, "fan": ["speed": 2]],
            headers: ["If-Match": "\"0\""])
        #expect(put.status == 200, "\(put.text)")
        #expect(put.json["version"] as? Int == 1 && put.headers["etag"] == "\"1\"")
        var delta = try await Self.delta(inbox)
        #expect(delta["version"] as? Int == 1)
        #expect((delta["delta"] as? [String: Any])?["mode"] as? String == "cool")
        #expect(((delta["delta"] as? [String: Any])?["fan"] as? [String: Any])?["speed"] as? Int == 2)
        #expect(try await ws.next("shadow")["version"] as? Int == 1)

        // A stale If-Match loses with the current version; a bad one is a 400.
        let stale = try await api.put(
            "/api/v1/devices/hvac-1/shadow/desired", ["mode": "heat"], headers: ["If-Match": "\"0\""])
        #expect(stale.status == 412 && stale.errorCode == "version_mismatch")
        #expect((stale.json["error"] as? [String: Any]).flatMap { $0["details"] as? [String: Any] }?["version"] as? String == "1")
        #expect(try await api.put("/api/v1/devices/hvac-1/shadow/desired", [:], headers: ["If-Match": "x"]).status == 400)

        // The device reports part of it (QoS 1: the PUBACK comes after the write).
        try await client.publish(
            topic: "t0/devices/hvac-1/shadow/reported", string: #"{"mode":"cool","target":21.5,"fan":{"speed":1}}"#,
            qos: .atLeastOnce)
        var shadow = try await api.get("/api/v1/devices/hvac-1/shadow").json
        #expect(shadow["version"] as? Int == 2)
        #expect((shadow["delta"] as? [String: Any]).map { Array($0.keys) } == ["fan"])
        #expect(((shadow["reported"] as? [String: Any])?["fan"] as? [String: Any])?["speed"] as? Int == 1)
        let meta = shadow["metadata"] as? [String: Any]
        #expect((((meta?["reported"] as? [String: Any])?["mode"]) as? [String: Any])?["timestamp"] is Int)
        #expect(try await ws.next("shadow")["version"] as? Int == 2)

        // AWS IoT's report shape works too, and clears the delta; a bad report is ignored.
        try await client.publish(topic: "t0/devices/hvac-1/shadow/reported", string: "not json", qos: .atLeastOnce)
        try await client.publish(
            topic: "t0/devices/hvac-1/shadow/reported", string: #"{"state":{"reported":{"fan":{"speed":2}}}}"#,
            qos: .atLeastOnce)
        shadow = try await api.get("/api/v1/devices/hvac-1/shadow").json
        #expect(shadow["version"] as? Int == 3 && (shadow["delta"] as? [String: Any])?.isEmpty == true)

        // null deletes a desired key; unchanged desired state is no new version.
        let removed = try await api.put("/api/v1/devices/hvac-1/shadow/desired", ["target": NSNull()])
        #expect(removed.json["version"] as? Int == 4 && (removed.json["desired"] as? [String: Any])?["target"] == nil)
        let same = try await api.put("/api/v1/devices/hvac-1/shadow/desired", ["mode": "cool"])
        #expect(same.json["version"] as? Int == 4)
        #expect(try await api.put("/api/v1/devices/hvac-1/shadow/desired", ["a": 1, "b": [1, 2]]).status == 200)
        // The delta sent for the subscription reads the shadow when it runs: on a loaded machine
        // that can be after the first PUT, a second copy of version 1. Older copies are skipped.
        repeat { delta = try await Self.delta(inbox) } while (delta["version"] as? Int ?? 0) < 5
        #expect(delta["version"] as? Int == 5 && (delta["delta"] as? [String: Any])?["a"] as? Int == 1)
        await client.disconnect()
    }

    @Test("a device that was offline gets the current delta when it subscribes; a restart keeps the shadow",
        arguments: StoreKind.allCases)
    func offlineDevice(_ kind: StoreKind) async throws {
        let first = try await APITestServer.start(kind)
        let (_, make) = try await CommandTests.device(first, "valve")
        #expect(try await first.http().put("/api/v1/devices/valve/shadow/desired", ["open": true]).status == 200)
        let server = try await first.restarted()
        do {
            let client = make(server.mqttPort)
            let inbox = client.messages()
            try await client.connect()
            _ = try await client.subscribe([Subscription(filter: "t0/devices/valve/shadow/delta", qos: .atLeastOnce)])
            let delta = try await Self.delta(inbox)
            #expect((delta["delta"] as? [String: Any])?["open"] as? Bool == true && delta["version"] as? Int == 1)
            // Its ACL lets it have its own delta only.
            let stranger = try await client.subscribe([
                Subscription(filter: "t0/devices/other/shadow/delta", qos: .atLeastOnce)
            ])
            #expect(stranger.reasonCodes.first?.isFailure == true)
            await client.disconnect()
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("a viewer reads but cannot change; another tenant sees nothing; limits")
    func access() async throws {
        let server = try await APITestServer.start(.sqlite)
        defer { Task { await server.stop() } }
        let api = server.http()
        _ = try await CommandTests.device(server, "door")
        let tenants = try await api.get("/api/v1/tenants").items
        let t0ID = try #require(tenants.first { $0["name"] as? String == "t0" }?["id"] as? Int)
        #expect(
            try await api.post(
                "/api/v1/users", ["email": "v@t0.io", "password": "viewer-pass-1", "role": "viewer", "tenant_id": t0ID]
            ).status == 201)
        _ = try await api.post("/api/v1/tenants", ["name": "other"])
        let other = try #require(
            try await api.get("/api/v1/tenants").items.first { $0["name"] as? String == "other" }?["id"] as? Int)
        #expect(
            try await api.post(
                "/api/v1/users",
                ["email": "a@other.io", "password": "other-pass-1", "role": "tenant_admin", "tenant_id": other]
            ).status == 201)
        let viewer = server.http(try await server.login("v@t0.io", "viewer-pass-1"))
        let stranger = server.http(try await server.login("a@other.io", "other-pass-1"))
        #expect(try await viewer.put("/api/v1/devices/door/shadow/desired", ["locked": true]).status == 403)
        #expect(try await viewer.get("/api/v1/devices/door/shadow").status == 200)
        #expect(try await stranger.get("/api/v1/devices/door/shadow").status == 404)
        #expect(try await stranger.put("/api/v1/devices/door/shadow/desired", ["locked": true]).status == 404)
        let big = try await api.put("/api/v1/devices/door/shadow/desired", ["blob": String(repeating: "x", count: 20_000)])
        #expect(big.status == 413 && big.errorCode == "too_large")
        let notObject = try await api.request("PUT", "/api/v1/devices/door/shadow/desired", body: Data("[1]".utf8))
        #expect(notObject.status == 400)
    }
}
