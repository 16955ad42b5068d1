import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import RoostServer
import TestSupport
import Testing

/// `roost serve --broker`: Roost as a node behind a real Mosquitto. Devices are on Mosquitto
/// (mosquitto_pub, and the project's client as a device that answers); Roost opens no MQTT
/// listener and consumes through `$share/roost/…`.
@Suite("External broker: Roost behind Mosquitto")
struct ExternalBrokerTests {
    /// Points a test server at `mosquitto` as node `clientID`.
    static func behind(_ mosquitto: MosquittoServer, as clientID: String) -> (inout RoostConfiguration) -> Void {
        { config in
            var settings = ExternalBrokerSettings(urls: [try! ExternalBrokerURL(parsing: mosquitto.url)], clientID: clientID)
            settings.sessionExpiry = 600
            config.externalBroker = settings
        }
    }

    static func device(_ server: APITestServer, _ id: Int) async throws -> [String: Any] {
        try await server.http().get("/api/v1/devices/\(id)").json
    }

    static func nodeID() -> String { "roost-test-" + UUID().uuidString.prefix(8).lowercased() }

    @Test(
        "uplink through a shared subscription; commands (queued ones at the device's first message), shadow deltas out through the broker; a will makes the device offline",
        arguments: StoreKind.allCases)
    func roundTrip(_ kind: StoreKind) async throws {
        let mosquitto = try await MosquittoServer(["max_queued_messages 0"])
        let server = try await APITestServer.start(kind, configure: Self.behind(mosquitto, as: Self.nodeID()))
        try await afterwards({ await server.stop(); await mosquitto.stop() }) {
            try await server.waitReady()
            #expect((try? await server.app.mqttPort()) == nil, "no MQTT listener of its own")

            // Telemetry from mosquitto_pub, through Mosquitto, stored.
            let (pumpID, makePump) = try await CommandTests.device(server, "ext-pump")
            let pub = try await ExternalProcess.run(
                "mosquitto_pub",
                ["-p", "\(mosquitto.port)", "-q", "1", "-t", "t0/devices/ext-pump/telemetry", "-m", #"{"msg_id":"x1","data":{"temp":20.5}}"#])
            #expect(pub.status == 0, "\(pub)")
            try await eventually("ext-pump online with its value") {
                let d = try await Self.device(server, pumpID)
                return d["status"] as? String == "online" && ((d["latest"] as? [String: Any])?["data"] as? [String: Any])?["temp"] as? Double == 20.5
            }

            // A command to a listening device goes out through Mosquitto and is answered.
            var pumpClient = makePump(mosquitto.port).configuration
            pumpClient.will = Will(topic: "t0/devices/ext-pump/status", payload: ByteBuffer(string: #"{"status":"offline"}"#), qos: .atLeastOnce)
            let pumpMQTT = MQTTClient(configuration: pumpClient, logger: APITestServer.logger)
            let pump = try await CommandTests.online(pumpMQTT, id: pumpID, uid: "ext-pump")
            _ = try await pumpMQTT.subscribe([Subscription(filter: "t0/devices/ext-pump/shadow/delta", qos: .atLeastOnce)])
            let sent = try await server.http().post("/api/v1/devices/\(pumpID)/commands", ["command": "ping"])
            #expect(sent.status == 201 || sent.status == 202, "\(sent.text)")
            let commandID = try #require(sent.json["id"] as? String)
            let (command, _) = try await pump.nextCommand()
            #expect(command["id"] as? String == commandID && command["command"] as? String == "ping")
            try await pump.answer(commandID, result: ["pong": true], uid: "ext-pump")
            try await eventually("the command succeeded") { try await CommandTests.status(server, commandID) == "succeeded" }

            // A shadow delta goes out through Mosquitto too.
            let desired = try await server.http().put("/api/v1/devices/\(pumpID)/shadow/desired", ["interval_s": 5])
            #expect(desired.status == 200, "\(desired.text)")
            let (delta, packet) = try await pump.nextCommand()
            #expect(packet.topic == "t0/devices/ext-pump/shadow/delta" && (delta["delta"] as? [String: Any])?["interval_s"] as? Int == 5, "\(delta)")

            // A device offline: its command waits, and is sent when its first message arrives.
            let (valveID, makeValve) = try await CommandTests.device(server, "ext-valve")
            let queued = try await server.http().post("/api/v1/devices/\(valveID)/commands", ["command": "open"])
            let queuedID = try #require(queued.json["id"] as? String)
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await CommandTests.status(server, queuedID) == "queued")
            let valve = try await CommandTests.online(makeValve(mosquitto.port), id: valveID, uid: "ext-valve")
            try await valve.client.publish(
                topic: "t0/devices/ext-valve/telemetry", string: #"{"msg_id":"v1","data":{"open":0}}"#, qos: .atLeastOnce)
            let (opened, _) = try await valve.nextCommand(within: 10)
            #expect(opened["id"] as? String == queuedID)
            try await valve.answer(queuedID, uid: "ext-valve")
            try await eventually("the queued command succeeded") { try await CommandTests.status(server, queuedID) == "succeeded" }

            // Mosquitto has no per-client events: the will is what says the pump is gone.
            await pumpMQTT.dropConnection()
            try await eventually("ext-pump offline by its will", within: 10) {
                try await Self.device(server, pumpID)["status"] as? String == "offline"
            }
            await valve.client.disconnect()
        }
    }

    @Test("two nodes on one PostgreSQL share the subscription: every message stored once, both take part")
    func twoNodesShare() async throws {
        let mosquitto = try await MosquittoServer(["max_queued_messages 0"])
        let a = try await APITestServer.start(.postgres, configure: Self.behind(mosquitto, as: Self.nodeID()))
        let b = try await a.node(configure: Self.behind(mosquitto, as: Self.nodeID()))
        try await afterwards({ await b.stop(); await a.stop(); await mosquitto.stop() }) {
            try await a.waitReady()
            try await b.waitReady()
            let devices = 4
            let perDevice = 250
            var publishers: [ExternalProcess.Running] = []
            for d in 0..<devices {
                let lines = (0..<perDevice).map { #"{"msg_id":"s\#(d)-\#($0)","data":{"n":\#($0)}}"# }.joined(separator: "\n")
                publishers.append(
                    try ExternalProcess.Running(
                        "mosquitto_pub", ["-p", "\(mosquitto.port)", "-q", "1", "-t", "t0/devices/share-\(d)/telemetry", "-l"],
                        stdin: lines + "\n"))
            }
            for p in publishers {
                let r = await p.wait(timeout: 60)
                #expect(r.status == 0, "\(r)")
            }
            try await eventually("every message stored", within: 30) {
                a.stored + b.stored >= devices * perDevice
            }
            try await Task.sleep(for: .milliseconds(300))  // nothing more arrives
            #expect(a.stored + b.stored == devices * perDevice)
            #expect(a.stored > 0 && b.stored > 0, "both nodes took messages")
            var stored = 0
            for d in 0..<devices {
                let rows = try await a.http().get("/api/v1/devices/share-\(d)/export?format=ndjson")
                let lines = rows.text.split(separator: "\n")
                #expect(Set(lines.compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["msg_id"] as? String }).count == lines.count)
                stored += lines.count
            }
            #expect(stored == devices * perDevice, "each message stored once")
        }
    }
}

extension ExternalBrokerTests {
    @Test("`roost serve --broker`, killed (-9) mid-stream and started again: every message Mosquitto acknowledged to the device is stored exactly once")
    func killedNode() async throws {
        let mosquitto = try await MosquittoServer(["max_queued_messages 0"])
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("roost-node-\(UUID().uuidString)")
        let httpPort = try freeTCPPort()
        var environment = ProcessInfo.processInfo.environment
        environment["ROOST_ADMIN_EMAIL"] = APITestServer.adminEmail
        environment["ROOST_ADMIN_PASSWORD"] = APITestServer.adminPassword
        environment["ROOST_EXTERNAL_BROKER_CLIENT_ID"] = Self.nodeID()
        environment["ROOST_AUTH_BCRYPT_COST"] = "4"
        // Batches linger a quarter second before they commit, so the kill finds messages
        // received and not yet committed: acknowledged early, they would be lost.
        environment["ROOST_INGEST_FLUSH_INTERVAL"] = "0.25"
        func startNode() throws -> ExternalProcess.Running {
            try ExternalProcess.Running(
                CLITests.CLI.binary,
                ["serve", "--broker", mosquitto.url, "--http-port", "\(httpPort)", "--data-dir", dir.path, "--log-level", "warning"],
                environment: environment)
        }
        var node = try startNode()
        defer {
            node.terminate()
            try? FileManager.default.removeItem(at: dir)
        }
        try await eventually("the node ready", within: 30) { (try? await HTTP(port: httpPort).get("/ready").status) == 200 }
        let login = try await HTTP(port: httpPort).post(
            "/api/v1/auth/login", ["email": APITestServer.adminEmail, "password": APITestServer.adminPassword])
        let api = HTTP(port: httpPort, token: try #require(login.json["access_token"] as? String))
        func stored() async throws -> [String] {
            let rows = try await api.get("/api/v1/devices/kill-1/export?format=ndjson")
            return rows.text.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["msg_id"] as? String
            }
        }

        let total = 10_000
        let lines = (0..<total).map { #"{"msg_id":"k\#($0)","data":{"n":\#($0)}}"# }.joined(separator: "\n") + "\n"
        let publisher = try ExternalProcess.Running(
            "mosquitto_pub", ["-p", "\(mosquitto.port)", "-q", "1", "-t", "t0/devices/kill-1/telemetry", "-l"], stdin: lines)
        try await Task.sleep(for: .milliseconds(500))
        // At most receive maximum (1000) per quarter second: the node is still at it.
        let metrics = try await HTTP(port: httpPort).get("/metrics").text
        let storedBeforeKill = metrics.split(separator: "\n").first { $0.hasPrefix("roost_ingest_telemetry_stored_total ") }
            .flatMap { Double($0.split(separator: " ").last ?? "") }.map { Int($0) } ?? -1
        kill(node.process.processIdentifier, SIGKILL)
        _ = await node.wait(timeout: 10)
        node = try startNode()
        let published = await publisher.wait(timeout: 120)
        #expect(published.status == 0, "\(published)")
        try await eventually("the node ready again", within: 30) { (try? await HTTP(port: httpPort).get("/ready").status) == 200 }
        // Until every row is there, or none came for 5 s (then some were lost).
        var ids: [String] = []
        var lastChange = ContinuousClock.now
        let deadline = ContinuousClock.now + .seconds(90)
        while ids.count < total, ContinuousClock.now - lastChange < .seconds(5), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(500))
            let now = try await stored()
            if now.count != ids.count { lastChange = ContinuousClock.now }
            ids = now
        }
        #expect(ids.count == total && Set(ids).count == total, "\(ids.count) rows, \(Set(ids).count) distinct")
        #expect((0..<total).contains(storedBeforeKill), "the kill came before every message was stored")
        node.terminate()
        let stopped = await node.wait(timeout: 20)
        #expect(stopped.status == 0, "a graceful stop: \(stopped)")
        await mosquitto.stop()
    }
}

extension ExternalBrokerTests {
    @Test("client events in EMQX's shape: a device login is online at `connected`, offline at `disconnected` with its reason; a takeover's disconnect and unknown users change nothing")
    func clientEvents() async throws {
        let mosquitto = try await MosquittoServer()
        // Mosquitto keeps $SYS to itself: the events come on a topic of the same shape.
        let prefix = "emqx-events/brokers/+/clients/+"
        let server = try await APITestServer.start(.sqlite) { config in
            Self.behind(mosquitto, as: Self.nodeID())(&config)
            config.externalBroker?.clientEvents = prefix
        }
        try await afterwards({ await server.stop(); await mosquitto.stop() }) {
            try await server.waitReady()
            let created = try await server.http().post("/api/v1/devices", ["uid": "ev-1"])
            let id = try #require(created.json["id"] as? Int)
            let user = try #require((created.json["credentials"] as? [String: Any])?["mqtt_username"] as? String)
            func event(_ kind: String, _ body: [String: Any]) async throws {
                let text = String(decoding: try JSONSerialization.data(withJSONObject: body), as: UTF8.self)
                let r = try await ExternalProcess.run(
                    "mosquitto_pub", ["-p", "\(mosquitto.port)", "-q", "1", "-t", "emqx-events/brokers/emqx@n1/clients/ev-1/\(kind)", "-m", text])
                #expect(r.status == 0, "\(r)")
            }
            func reasons() async throws -> [String] {
                ((try await server.http().get("/api/v1/devices/\(id)/events").json["items"] as? [[String: Any]]) ?? [])
                    .compactMap { $0["reason"] as? String }
            }
            try await event("connected", ["clientid": "ev-1", "username": user, "connected_at": 1])
            try await eventually("online by the connect event") { try await Self.device(server, id)["status"] as? String == "online" }
            try await event("disconnected", ["clientid": "ev-1", "username": user, "reason": "takenover"])
            try await event("disconnected", ["clientid": "ev-x", "username": "not-a-device", "reason": "normal"])
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await Self.device(server, id)["status"] as? String == "online")
            try await event("disconnected", ["clientid": "ev-1", "username": user, "reason": "keepalive_timeout"])
            try await eventually("offline by the disconnect event") { try await Self.device(server, id)["status"] as? String == "offline" }
            #expect(try await reasons().prefix(2) == ["keepalive", "connect"], "newest first")
        }
    }
}

extension ExternalBrokerTests {
    @Test("mqtts://: the link over TLS to Mosquitto, its certificate checked against external_broker.ca_file")
    func overTLS() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("roost-ext-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cert = dir.appendingPathComponent("cert.pem").path
        let key = dir.appendingPathComponent("key.pem").path
        let made = try await ExternalProcess.run(
            "openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ])
        #expect(made.status == 0, "\(made)")
        // Mosquitto reads them as its own user.
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: key)
        // The listener above these lines speaks TLS.
        let mosquitto = try await MosquittoServer(["certfile \(cert)", "keyfile \(key)"])
        let server = try await APITestServer.start(.sqlite) { config in
            var settings = ExternalBrokerSettings(
                urls: [try! ExternalBrokerURL(parsing: "mqtts://localhost:\(mosquitto.port)")], clientID: Self.nodeID())
            settings.caFile = cert
            config.externalBroker = settings
        }
        try await afterwards({ await server.stop(); await mosquitto.stop() }) {
            try await server.waitReady()
            let pub = try await ExternalProcess.run(
                "mosquitto_pub",
                [
                    "-h", "localhost", "-p", "\(mosquitto.port)", "--cafile", cert, "-q", "1", "-t",
                    "t0/devices/tls-1/telemetry", "-m", #"{"msg_id":"t1","data":{"temp":1}}"#,
                ])
            #expect(pub.status == 0, "\(pub)")
            try await eventually("the message stored through the TLS link", within: 10) {
                server.app.ingest.statistics.telemetryInserted == 1
            }
        }
    }
}

extension APITestServer {
    /// Telemetry rows this server's ingest stored.
    var stored: Int { app.ingest.statistics.telemetryInserted }
}
