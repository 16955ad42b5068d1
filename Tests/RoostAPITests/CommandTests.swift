import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import RoostCore
import Testing

/// Commands over real sockets: the API, devices on MQTT (the project's client here, paho in
/// CommandPahoTests), the realtime socket, both stores.
@Suite("API: commands")
struct CommandTests {
    /// A device logged in with its own credentials, listening on its downlink.
    struct Device {
        let id: Int
        let client: MQTTClient
        let inbox: AsyncStream<PublishPacket>

        /// The next command the device receives, as JSON, with its packet.
        func nextCommand(within seconds: Double = 5) async throws -> ([String: Any], PublishPacket) {
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
            guard let packet else { throw SetupError("no command within \(seconds) s") }
            let json = try JSONSerialization.jsonObject(with: Data(packet.payload.readableBytesView)) as? [String: Any]
            return (json ?? [:], packet)
        }

        func answer(_ id: String, _ status: String = "ok", result: [String: Any]? = nil, uid: String) async throws {
            var body: [String: Any] = ["id": id, "status": status]
            if let result { body["result"] = result }
            let text = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
            try await client.publish(topic: "t0/devices/\(uid)/commands/ack", string: text, qos: .atLeastOnce)
        }
    }

    /// Creates a device through the API; its MQTT client is made, not connected.
    static func device(
        _ server: APITestServer, _ uid: String, cleanStart: Bool = true, sessionExpiry: UInt32? = nil
    ) async throws -> (id: Int, make: @Sendable (Int) -> MQTTClient) {
        let created = try await server.http().post("/api/v1/devices", ["uid": uid])
        #expect(created.status == 201, "\(created.text)")
        let credentials = try #require(created.json["credentials"] as? [String: Any])
        let (user, password) = (credentials["mqtt_username"] as? String, credentials["mqtt_password"] as? String)
        return (
            try #require(created.json["id"] as? Int),
            { port in
                var c = MQTTClientConfiguration(host: "127.0.0.1", port: port, clientID: uid, protocolVersion: .v5)
                c.username = user
                c.password = password
                c.cleanStart = cleanStart
                c.sessionExpiry = sessionExpiry
                c.connectTimeout = 5
                return MQTTClient(configuration: c, logger: APITestServer.logger)
            }
        )
    }

    /// Connects a device client and (unless told not to) subscribes to its downlink.
    static func online(_ client: MQTTClient, id: Int, uid: String, subscribe: Bool = true) async throws -> Device {
        let inbox = client.messages()
        try await client.connect()
        if subscribe {
            _ = try await client.subscribe([Subscription(filter: "t0/devices/\(uid)/commands", qos: .atLeastOnce)])
        }
        return Device(id: id, client: client, inbox: inbox)
    }

    static func status(_ server: APITestServer, _ id: String) async throws -> String? {
        try await server.http().get("/api/v1/commands/\(id)").json["status"] as? String
    }

    @Test("an online device: sent, delivered on PUBACK, succeeded on its answer; every step on the socket",
        arguments: StoreKind.allCases)
    func onlineDevice(_ kind: StoreKind) async throws {
        let server = try await APITestServer.start(kind)
        defer { Task { await server.stop() } }
        let (id, make) = try await Self.device(server, "pump-1")
        let device = try await Self.online(make(server.mqttPort), id: id, uid: "pump-1")
        let ws = RealtimeClient(port: server.httpPort, token: server.adminToken)
        defer { ws.close() }
        _ = try await ws.next("ready")
        ws.send(["type": "subscribe", "devices": ["pump-1"], "kinds": ["command"]])
        _ = try await ws.next("snapshot")

        let created = try await server.http().post(
            "/api/v1/devices/pump-1/commands", ["command": "start_cleaning", "params": ["speed": 5], "timeout_s": 30])
        #expect(created.status == 201, "\(created.text)")
        let commandID = try #require(created.json["id"] as? String)
        #expect(created.json["status"] as? String == "sent")
        #expect(created.json["uid"] as? String == "pump-1" && created.json["command"] as? String == "start_cleaning")

        let (payload, packet) = try await device.nextCommand()
        #expect(payload["id"] as? String == commandID && payload["command"] as? String == "start_cleaning")
        #expect((payload["params"] as? [String: Any])?["speed"] as? Int == 5)
        #expect(packet.qos == .atLeastOnce && packet.topic == "t0/devices/pump-1/commands")
        // MQTT 5: the answer's topic and the id as correlation data ride along.
        #expect(packet.properties.responseTopic == "t0/devices/pump-1/commands/ack")
        #expect(packet.properties.correlationData.map { String(buffer: $0) } == commandID)
        try await eventually("delivered") { try await Self.status(server, commandID) == "delivered" }

        try await device.answer(commandID, result: ["area": 12.5], uid: "pump-1")
        try await eventually("succeeded") { try await Self.status(server, commandID) == "succeeded" }
        let done = try await server.http().get("/api/v1/commands/\(commandID)").json
        #expect((done["result"] as? [String: Any])?["area"] as? Double == 12.5)
        #expect(done["sent_at"] is String && done["delivered_at"] is String && done["completed_at"] is String)

        var steps: [String] = []
        for _ in 0..<4 { steps.append(try await ws.next("command")["status"] as? String ?? "?") }
        #expect(steps == ["queued", "sent", "delivered", "succeeded"])

        // Answers for unknown or finished commands are acknowledged and ignored.
        try await device.answer("no-such-command", uid: "pump-1")
        try await device.answer(commandID, "error", uid: "pump-1")
        #expect(try await Self.status(server, commandID) == "succeeded")
        let listed = try await server.http().get("/api/v1/devices/pump-1/commands?status=succeeded")
        #expect(listed.items.map { $0["id"] as? String } == [commandID])
        #expect(listed.json.keys.contains("next_cursor"))
        let ignored = try await server.http().get("/metrics").text
        #expect(ignored.contains("roost_command_answers_ignored_total 2"))
        await device.client.disconnect()
    }

    @Test("offline: queued in the store, sent after a restart when the device connects and subscribes",
        arguments: StoreKind.allCases)
    func offlineAcrossRestart(_ kind: StoreKind) async throws {
        let first = try await APITestServer.start(kind)
        var server = first
        do {
            let (id, make) = try await Self.device(server, "robot-7")
            let created = try await server.http().post(
                "/api/v1/devices/robot-7/commands", ["command": "dock", "timeout_s": 600])
            #expect(created.status == 201 && created.json["status"] as? String == "queued", "\(created.text)")
            let commandID = try #require(created.json["id"] as? String)

            server = try await first.restarted()
            #expect(try await Self.status(server, commandID) == "queued")
            // Connected but not yet subscribed: still queued.
            let client = make(server.mqttPort)
            let device = try await Self.online(client, id: id, uid: "robot-7", subscribe: false)
            try await Task.sleep(for: .milliseconds(200))
            #expect(try await Self.status(server, commandID) == "queued")
            _ = try await client.subscribe([Subscription(filter: "t0/devices/robot-7/commands", qos: .atLeastOnce)])
            let (payload, _) = try await device.nextCommand()
            #expect(payload["id"] as? String == commandID && payload["command"] as? String == "dock")
            try await device.answer(commandID, uid: "robot-7")
            try await eventually("succeeded") { try await Self.status(server, commandID) == "succeeded" }
            await client.disconnect()
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("a persistent session: the command waits while the device is away and arrives when it reconnects")
    func persistentSession() async throws {
        let server = try await APITestServer.start(.sqlite)
        defer { Task { await server.stop() } }
        let (id, make) = try await Self.device(server, "sensor-3", cleanStart: false, sessionExpiry: 3600)
        let first = make(server.mqttPort)
        _ = try await Self.online(first, id: id, uid: "sensor-3")
        await first.disconnect()
        let created = try await server.http().post("/api/v1/devices/sensor-3/commands", ["command": "calibrate"])
        #expect(created.json["status"] as? String == "queued", "\(created.text)")
        let commandID = try #require(created.json["id"] as? String)
        // It comes back without subscribing again: its session still holds the subscription.
        let device = try await Self.online(make(server.mqttPort), id: id, uid: "sensor-3", subscribe: false)
        let (payload, _) = try await device.nextCommand()
        #expect(payload["id"] as? String == commandID)
        try await device.answer(commandID, "error", result: ["reason": "no reference"], uid: "sensor-3")
        try await eventually("failed") { try await Self.status(server, commandID) == "failed" }
        await device.client.disconnect()
    }

    @Test("expiry, cancel while queued (409 after), limits", arguments: StoreKind.allCases)
    func expiryCancelLimits(_ kind: StoreKind) async throws {
        var settings = CommandSettings()
        settings.maxQueuedPerDevice = 3
        settings.sweepInterval = 0.1
        let server = try await APITestServer.start(kind, commands: settings)
        defer { Task { await server.stop() } }
        _ = try await Self.device(server, "valve")
        let api = server.http()
        let short = try await api.post("/api/v1/devices/valve/commands", ["command": "open", "timeout_s": 1])
        let shortID = try #require(short.json["id"] as? String)
        let later = try await api.post("/api/v1/devices/valve/commands", ["command": "close"])
        let laterID = try #require(later.json["id"] as? String)
        let cancelled = try await api.post("/api/v1/commands/\(laterID)/cancel", [:])
        #expect(cancelled.status == 200 && cancelled.json["status"] as? String == "cancelled", "\(cancelled.text)")
        let again = try await api.post("/api/v1/commands/\(laterID)/cancel", [:])
        #expect(again.status == 409 && again.errorCode == "not_queued")
        try await eventually("expired", within: 5) { try await Self.status(server, shortID) == "expired" }
        #expect(try await api.post("/api/v1/commands/\(shortID)/cancel", [:]).status == 409)

        for n in 0..<3 { #expect(try await api.post("/api/v1/devices/valve/commands", ["command": "c\(n)"]).status == 201) }
        let full = try await api.post("/api/v1/devices/valve/commands", ["command": "one-too-many"])
        #expect(full.status == 429 && full.errorCode == "limit_reached", "\(full.text)")
        let bad: [[String: Any]] = [
            ["params": ["x": 1]], ["command": ""], ["command": "x", "params": [1, 2]], ["command": "x", "timeout_s": 0],
            ["command": "x", "timeout_s": 10_000_000], ["command": "x", "params": ["blob": String(repeating: "a", count: 9000)]],
        ]
        for body in bad {
            let r = try await api.post("/api/v1/devices/valve/commands", body)
            #expect(r.status == 422, "\(body): \(r.status) \(r.text)")
        }
        #expect(try await api.post("/api/v1/devices/nope/commands", ["command": "x"]).status == 404)
        #expect(try await api.get("/api/v1/commands/nope").status == 404)
        let page = try await api.get("/api/v1/devices/valve/commands?limit=2")
        #expect(page.items.count == 2)
        let cursor = try #require(page.json["next_cursor"] as? String)
        let rest = try await api.get("/api/v1/devices/valve/commands?limit=2&cursor=\(cursor)")
        #expect(rest.items.count == 2)
        #expect(Set((page.items + rest.items).compactMap { $0["status"] as? String }) == ["queued", "cancelled"])
    }

    @Test("an MQTT 5 answer on the response topic with correlation data and no id in the payload")
    func responseTopic() async throws {
        let server = try await APITestServer.start(.sqlite)
        defer { Task { await server.stop() } }
        let (id, make) = try await Self.device(server, "cam")
        let device = try await Self.online(make(server.mqttPort), id: id, uid: "cam")
        let created = try await server.http().post("/api/v1/devices/cam/commands", ["command": "snapshot"])
        let commandID = try #require(created.json["id"] as? String)
        let (_, packet) = try await device.nextCommand()
        var properties = Properties()
        properties.correlationData = packet.properties.correlationData
        try await device.client.publish(
            topic: try #require(packet.properties.responseTopic), payload: ByteBuffer(string: #"{"bytes":52000}"#),
            qos: .atLeastOnce, properties: properties)
        try await eventually("succeeded") { try await Self.status(server, commandID) == "succeeded" }
        let done = try await server.http().get("/api/v1/commands/\(commandID)").json
        #expect((done["result"] as? [String: Any])?["bytes"] as? Int == 52000)
        await device.client.disconnect()
    }

    @Test("a viewer reads but cannot send; another tenant sees nothing")
    func access() async throws {
        let server = try await APITestServer.start(.sqlite)
        defer { Task { await server.stop() } }
        let api = server.http()
        _ = try await Self.device(server, "door")
        let created = try await api.post("/api/v1/devices/door/commands", ["command": "unlock"])
        let commandID = try #require(created.json["id"] as? String)
        let t0 = try #require(created.json["tenant"] as? String)
        let tenants = try await api.get("/api/v1/tenants").items
        let t0ID = try #require(tenants.first { $0["name"] as? String == t0 }?["id"] as? Int)
        _ = try await api.post("/api/v1/tenants", ["name": "other"])
        let other = try #require(try await api.get("/api/v1/tenants").items.first { $0["name"] as? String == "other" }?["id"] as? Int)
        #expect(
            try await api.post(
                "/api/v1/users",
                ["email": "v@t0.io", "password": "viewer-pass-1", "role": "viewer", "tenant_id": t0ID]
            ).status == 201)
        #expect(
            try await api.post(
                "/api/v1/users",
                ["email": "a@other.io", "password": "other-pass-1", "role": "tenant_admin", "tenant_id": other]
            ).status == 201)
        let viewer = server.http(try await server.login("v@t0.io", "viewer-pass-1"))
        let stranger = server.http(try await server.login("a@other.io", "other-pass-1"))
        let refused = try await viewer.post("/api/v1/devices/door/commands", ["command": "unlock"])
        #expect(refused.status == 403 && refused.errorCode == "forbidden")
        #expect(try await viewer.post("/api/v1/commands/\(commandID)/cancel", [:]).status == 403)
        #expect(try await viewer.get("/api/v1/commands/\(commandID)").json["command"] as? String == "unlock")
        #expect(try await viewer.get("/api/v1/devices/door/commands").items.count == 1)
        #expect(try await stranger.get("/api/v1/commands/\(commandID)").status == 404)
        #expect(try await stranger.post("/api/v1/commands/\(commandID)/cancel", [:]).status == 404)
        #expect(try await stranger.post("/api/v1/devices/door/commands", ["command": "unlock"]).status == 404)
    }
}
