import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import Testing

/// The realtime WebSocket over real sockets: a real WebSocket client, devices on MQTT.
@Suite("API: realtime WebSocket")
struct RealtimeTests {
    /// A device with MQTT credentials, created through the API.
    static func device(_ server: APITestServer, _ uid: String, token: String? = nil) async throws -> (
        id: Int, client: MQTTClient
    ) {
        let created = try await server.http(token).post("/api/v1/devices", ["uid": uid])
        #expect(created.status == 201, "\(created.text)")
        let credentials = try #require(created.json["credentials"] as? [String: Any])
        let client = server.mqttClient(
            uid, username: credentials["mqtt_username"] as? String, password: credentials["mqtt_password"] as? String)
        return (try #require(created.json["id"] as? Int), client)
    }

    @Test(
        "subscribe: a snapshot, then status and telemetry pushed after commit (readable through the API by then)",
        arguments: StoreKind.allCases)
    func liveEvents(_ kind: StoreKind) async throws {
        let server = try await APITestServer.start(kind)
        defer { Task { await server.stop() } }
        let (id, device) = try await Self.device(server, "pump-1")
        let ws = RealtimeClient(port: server.httpPort, token: server.adminToken)
        defer { ws.close() }
        #expect(try await ws.next("ready")["role"] as? String == "platform_admin")
        ws.send(["type": "subscribe", "devices": ["pump-1"], "id": 7])
        let snapshot = try await ws.next("snapshot")
        #expect(snapshot["id"] as? Int == 7)
        let listed = try #require(snapshot["devices"] as? [[String: Any]])
        #expect(listed.map { $0["uid"] as? String } == ["pump-1"] && listed[0]["status"] as? String == "unknown")

        try await device.connect()
        let online = try await ws.next("status")
        #expect(online["device"] as? Int == id && online["status"] as? String == "online")
        #expect(online["reason"] as? String == "connect" && online["uid"] as? String == "pump-1")
        try await device.publish(
            topic: "t0/devices/pump-1/telemetry", string: #"{"msg_id":"r1","data":{"temp":21.5}}"#, qos: .atLeastOnce)
        let event = try await ws.next("telemetry")
        #expect(event["msg_id"] as? String == "r1" && event["tenant"] as? String == "t0")
        #expect((event["data"] as? [String: Any])?["temp"] as? Double == 21.5)
        // After commit: what the socket says, the API already answers.
        let history = try await server.http().get("/api/v1/devices/pump-1/telemetry")
        #expect(history.items.first?["msg_id"] as? String == "r1")
        // A duplicate (same msg_id) is stored once and announced once.
        try await device.publish(
            topic: "t0/devices/pump-1/telemetry", string: #"{"msg_id":"r1","data":{"temp":99}}"#, qos: .atLeastOnce)
        try await device.publish(
            topic: "t0/devices/pump-1/telemetry", string: #"{"msg_id":"r2","data":{"temp":22}}"#, qos: .atLeastOnce)
        #expect(try await ws.next("telemetry")["msg_id"] as? String == "r2")
        // Kinds narrow what comes: status only, after unsubscribing telemetry.
        ws.send(["type": "unsubscribe", "devices": [String(id)], "kinds": ["telemetry"]])
        _ = try await ws.next("unsubscribed")
        try await device.publish(
            topic: "t0/devices/pump-1/telemetry", string: #"{"msg_id":"r3","data":{"temp":23}}"#, qos: .atLeastOnce)
        try await device.disconnect()
        #expect(try await ws.next("status")["status"] as? String == "offline")
        #expect(ws.all("telemetry").count == 2)
        ws.send(["type": "ping", "id": "p"])
        #expect(try await ws.next("pong")["id"] as? String == "p")
    }

    @Test("authentication: URL token, bearer header, first message; 4401 for none, a bad one, or a late one")
    func authentication() async throws {
        let server = try await APITestServer.start(.sqlite)
        defer { Task { await server.stop() } }
        let header = RealtimeClient(port: server.httpPort, header: server.adminToken)
        defer { header.close() }
        _ = try await header.next("ready")
        let message = RealtimeClient(port: server.httpPort)
        defer { message.close() }
        message.send(["type": "auth", "token": server.adminToken])
        _ = try await message.next("ready")

        let bad = RealtimeClient(port: server.httpPort, token: "not-a-token")
        #expect(try await bad.closed()?.closeCode == .unknown(4401))
        let wrongFirst = RealtimeClient(port: server.httpPort)
        wrongFirst.send(["type": "subscribe", "tenant": true])
        let frame = try await wrongFirst.closed()
        #expect(frame?.closeCode == .unknown(4401) && frame?.reason?.contains("authenticate first") == true)
        // Bad requests get an error message; the socket stays.
        message.send(["type": "subscribe"])
        #expect(try await message.next("error")["code"] as? String == "bad_request")
        message.send(["type": "subscribe", "devices": ["nope"]])
        #expect(try await message.next("error")["code"] as? String == "not_found")
        message.send(["type": "ping"])
        _ = try await message.next("pong")
    }

    @Test("a token that expires while connected closes the socket with 4401 at its expiry")
    func tokenExpiresWhileConnected() async throws {
        let server = try await APITestServer.start(.sqlite) { $0.accessTTL = 3 }
        defer { Task { await server.stop() } }
        let socket = RealtimeClient(port: server.httpPort, token: server.adminToken)
        defer { socket.close() }
        _ = try await socket.next("ready")
        let opened = ContinuousClock.now
        let frame = try await socket.closed(within: 15)
        #expect(frame?.closeCode == .unknown(4401) && frame?.reason?.contains("token expired") == true, "\(String(describing: frame))")
        // JWT expiry is whole seconds: the close comes within the token's 3 s life, not long after.
        #expect(ContinuousClock.now - opened < .seconds(8))
    }

    @Test("a refusal sent at once still reaches swift-websocket's client: 40 sockets with a bad token all read 4401")
    func refusalsArrive() async throws {
        let server = try await APITestServer.start(.sqlite)
        defer { Task { await server.stop() } }
        let refused = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<40 {
                group.addTask {
                    let frame = try? await RealtimeClient(port: server.httpPort, token: "bad").closed(within: 10)
                    return frame?.closeCode == .unknown(4401)
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(refused == 40, "\(40 - refused) of 40 sockets never learnt why they were closed")
    }

    @Test("tenant isolation: another tenant's user sees nothing of it, and cannot name its devices", arguments: StoreKind.allCases)
    func isolation(_ kind: StoreKind) async throws {
        let server = try await APITestServer.start(kind)
        defer { Task { await server.stop() } }
        let admin = server.http()
        let acme = try #require(try await admin.post("/api/v1/tenants", ["name": "acme"]).json["id"] as? Int)
        let globex = try #require(try await admin.post("/api/v1/tenants", ["name": "globex"]).json["id"] as? Int)
        for (email, tenant) in [("a@acme.io", acme), ("g@globex.io", globex)] {
            let r = try await admin.post(
                "/api/v1/users", ["email": email, "password": "password-1", "role": "tenant_admin", "tenant_id": tenant])
            #expect(r.status == 201, "\(r.text)")
        }
        let acmeToken = try await server.login("a@acme.io", "password-1")
        let globexToken = try await server.login("g@globex.io", "password-1")
        let (acmeDevice, device) = try await Self.device(server, "sensor", token: acmeToken)

        let acmeSocket = RealtimeClient(port: server.httpPort, token: acmeToken)
        let globexSocket = RealtimeClient(port: server.httpPort, token: globexToken)
        let everything = RealtimeClient(port: server.httpPort, token: server.adminToken)
        defer { [acmeSocket, globexSocket, everything].forEach { $0.close() } }
        acmeSocket.send(["type": "subscribe", "tenant": true])
        #expect((try await acmeSocket.next("snapshot")["devices"] as? [[String: Any]])?.count == 1)
        globexSocket.send(["type": "subscribe", "tenant": true])
        #expect((try await globexSocket.next("snapshot")["devices"] as? [[String: Any]])?.isEmpty == true)
        globexSocket.send(["type": "subscribe", "devices": [String(acmeDevice)]])
        #expect(try await globexSocket.next("error")["code"] as? String == "not_found")
        globexSocket.send(["type": "subscribe", "tenant": "acme"])
        #expect(try await globexSocket.next("error")["code"] as? String == "forbidden")
        everything.send(["type": "subscribe", "tenant": true, "kinds": ["telemetry"]])
        _ = try await everything.next("snapshot")

        try await device.connect()
        try await device.publish(
            topic: "acme/devices/sensor/telemetry", string: #"{"msg_id":"i1","data":{"v":1}}"#, qos: .atLeastOnce)
        try await device.disconnect()
        #expect(try await acmeSocket.next("telemetry")["tenant"] as? String == "acme")
        #expect(try await everything.next("telemetry")["uid"] as? String == "sensor")
        #expect(everything.all("status").isEmpty)
        try await Task.sleep(for: .milliseconds(200))
        #expect(globexSocket.all("telemetry").isEmpty && globexSocket.all("status").isEmpty)
    }

    @Test("/api/v1/realtime/devices/{ref}: one device per socket, a snapshot at once; 4403 for one not visible")
    func oneDevice() async throws {
        let server = try await APITestServer.start(.sqlite)
        defer { Task { await server.stop() } }
        let (_, device) = try await Self.device(server, "robot-7")
        let ws = RealtimeClient(port: server.httpPort, path: "/api/v1/realtime/devices/robot-7", token: server.adminToken)
        defer { ws.close() }
        #expect((try await ws.next("snapshot")["devices"] as? [[String: Any]])?.first?["uid"] as? String == "robot-7")
        try await device.connect()
        #expect(try await ws.next("status")["uid"] as? String == "robot-7")
        try await device.disconnect()
        let missing = RealtimeClient(port: server.httpPort, path: "/api/v1/realtime/devices/ghost", token: server.adminToken)
        #expect(try await missing.closed()?.closeCode == .unknown(4403))
    }
}
