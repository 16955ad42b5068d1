import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import RoostCore
import RoostServer
import Testing

/// Alert rules over real sockets: devices on MQTT with their own credentials, the API, the
/// realtime socket, a local HTTP server receiving the webhooks, both stores. Time-driven rules
/// run on an injected clock.
@Suite("API: alert rules and alerts")
struct AlertTests {
    static func fastAlerts(_ c: inout RoostConfiguration) {
        c.alerts.sweepInterval = 0.02
        c.alerts.webhookRetryBase = 0.05
    }

    /// A device created through the API and connected with its credentials.
    static func connected(_ server: APITestServer, _ uid: String, labels: [String: String]? = nil) async throws
        -> MQTTClient
    {
        var body: [String: Any] = ["uid": uid]
        if let labels { body["labels"] = labels }
        let created = try await server.http().post("/api/v1/devices", body)
        #expect(created.status == 201, "\(created.text)")
        let credentials = try #require(created.json["credentials"] as? [String: Any])
        var c = MQTTClientConfiguration(host: "127.0.0.1", port: server.mqttPort, clientID: uid, protocolVersion: .v5)
        c.username = credentials["mqtt_username"] as? String
        c.password = credentials["mqtt_password"] as? String
        let client = MQTTClient(configuration: c, logger: APITestServer.logger)
        try await client.connect()
        return client
    }

    static func send(_ client: MQTTClient, _ uid: String, _ json: String) async throws {
        try await client.publish(topic: "t0/devices/\(uid)/telemetry", string: json, qos: .atLeastOnce)
    }

    static func alerts(_ server: APITestServer, _ query: String = "") async throws -> [[String: Any]] {
        try await server.http().get("/api/v1/alerts\(query)").items
    }

    @Test("a threshold opens one alert, is acknowledged, resolves; signed webhooks retried; realtime events",
        arguments: StoreKind.allCases)
    func threshold(_ kind: StoreKind) async throws {
        let hooks = try await WebhookReceiver.start(failing: 1)
        defer { hooks.stop() }
        let server = try await APITestServer.start(kind, configure: Self.fastAlerts)
        defer { Task { await server.stop() } }
        let api = server.http()
        let boiler = try await Self.connected(server, "boiler")
        let ws = RealtimeClient(port: server.httpPort, token: server.adminToken)
        defer { ws.close() }
        _ = try await ws.next("ready")
        ws.send(["type": "subscribe", "tenant": true, "kinds": ["alert"]])
        _ = try await ws.next("snapshot")

        let created = try await api.post(
            "/api/v1/alert-rules",
            ["name": "hot", "device": "boiler", "key": "temp", "op": ">", "threshold": 80, "webhook_url": hooks.url])
        #expect(created.status == 201, "\(created.text)")
        let ruleID = try #require(created.json["id"] as? Int)
        let secret = try #require(created.json["webhook_secret"] as? String)
        #expect(created.json["uid"] as? String == "boiler" && created.json["for_s"] as? Int == 0)
        // The secret is shown once.
        let read = try await api.get("/api/v1/alert-rules/\(ruleID)").json
        #expect(read["webhook_secret"] == nil && read["webhook_secret_set"] as? Bool == true)

        try await Self.send(boiler, "boiler", #"{"temp":70}"#)
        try await Self.send(boiler, "boiler", #"{"temp":85.5}"#)
        try await eventually("opened") { try await Self.alerts(server, "?state=open").count == 1 }
        try await Self.send(boiler, "boiler", #"{"temp":90}"#)
        try await Self.send(boiler, "boiler", #"{"hum":10}"#)
        let opened = try await ws.next("alert")
        #expect(opened["event"] as? String == "opened" && opened["value"] as? Double == 85.5)
        #expect(opened["rule"] as? Int == ruleID && opened["uid"] as? String == "boiler")
        let alertID = try #require(opened["id"] as? Int)

        // The webhook: refused once, retried, signed with the rule's secret.
        try await eventually("webhook") { hooks.received.count == 1 }
        let hit = hooks.received[0]
        #expect(hooks.refusedCount == 1 && hit.headers["x-roost-event"] == "alert.opened")
        let signature = try #require(hit.headers["x-roost-signature"])
        #expect(
            WebhookSigner.verify(
                header: signature, body: hit.body, secret: secret, now: Int64(Date().timeIntervalSince1970)))
        #expect(!WebhookSigner.verify(header: signature, body: hit.body, secret: "another-secret-123", now: Int64(Date().timeIntervalSince1970)))
        let payload = try JSONSerialization.jsonObject(with: Data(hit.body)) as? [String: Any]
        #expect((payload?["alert"] as? [String: Any])?["id"] as? Int == alertID)
        try await eventually("attempts recorded") {
            let deliveries = try await api.get("/api/v1/alerts/\(alertID)").json["webhooks"] as? [[String: Any]]
            return deliveries?.first?["status"] as? String == "delivered" && deliveries?.first?["attempts"] as? Int == 2
        }

        let acked = try await api.post("/api/v1/alerts/\(alertID)/ack", [:])
        #expect(acked.status == 200 && acked.json["state"] as? String == "acknowledged", "\(acked.text)")
        #expect((acked.json["acknowledged_by"] as? String)?.hasPrefix("user:") == true)
        #expect(try await api.post("/api/v1/alerts/\(alertID)/ack", [:]).status == 409)
        #expect(try await ws.next("alert")["event"] as? String == "acknowledged")

        try await Self.send(boiler, "boiler", #"{"temp":60}"#)
        try await eventually("resolved") { try await Self.alerts(server, "?state=resolved").count == 1 }
        #expect(try await ws.next("alert")["event"] as? String == "resolved")
        try await eventually("resolved webhook") { hooks.received.count == 2 }
        #expect(hooks.received[1].headers["x-roost-event"] == "alert.resolved")
        // Deduplicated: one alert for the whole breach; the next breach is a new one.
        #expect(try await Self.alerts(server).count == 1)
        try await Self.send(boiler, "boiler", #"{"temp":99}"#)
        try await eventually("a new alert") { try await Self.alerts(server, "?state=open").count == 1 }
        #expect(try await Self.alerts(server, "?device=boiler").count == 2)
        await boiler.disconnect()
    }

    @Test("held for for_s, silent for after_s, offline for after_s, on an injected clock; a restart keeps alerts",
        arguments: StoreKind.allCases)
    func timeDriven(_ kind: StoreKind) async throws {
        let clock = ManualEpochClock(start: SystemEpochClock().nowMilliseconds())
        let first = try await APITestServer.start(kind) { c in
            Self.fastAlerts(&c)
            c.clock = clock
        }
        var server = first
        do {
            let api = server.http()
            let pump = try await Self.connected(server, "pump", labels: ["site": "a"])
            let fan = try await Self.connected(server, "fan", labels: ["site": "b"])
            #expect(
                try await api.post(
                    "/api/v1/alert-rules", ["name": "hot", "key": "temp", "op": ">=", "threshold": 50, "for_s": 60, "tenant": "t0"]
                ).status == 201)
            let quiet = try await api.post(
                "/api/v1/alert-rules", ["name": "quiet", "kind": "no_data", "after_s": 300, "labels": ["site": "a"], "tenant": "t0"])
            #expect(quiet.status == 201, "\(quiet.text)")
            #expect(
                try await api.post(
                    "/api/v1/alert-rules", ["name": "gone", "kind": "offline", "after_s": 30, "device": "fan"]
                ).status == 201)

            try await Self.send(pump, "pump", #"{"temp":55}"#)
            clock.advance(by: 30_000)
            try await Task.sleep(for: .milliseconds(150))
            #expect(try await Self.alerts(server).isEmpty)
            clock.advance(by: 31_000)
            try await eventually("held 60 s") { try await Self.alerts(server).map { $0["rule_name"] as? String } == ["hot"] }

            // The fan goes away: offline after 30 s, not before.
            await fan.disconnect()
            try await eventually("fan offline") {
                try await api.get("/api/v1/devices/fan").json["status"] as? String == "offline"
            }
            clock.advance(by: 20_000)
            try await Task.sleep(for: .milliseconds(150))
            #expect(try await Self.alerts(server, "?device=fan").isEmpty)
            clock.advance(by: 11_000)
            try await eventually("offline 30 s") { try await Self.alerts(server, "?device=fan").count == 1 }

            // Silence: the pump (site a) is quiet for 300 s; the fan (site b) is not covered.
            clock.advance(by: 300_000)
            try await eventually("no data") {
                try await Self.alerts(server, "?state=open&device=pump").count == 2
            }
            #expect(try await Self.alerts(server, "?device=fan").count == 1)

            // A restart: open alerts stay open, the same breach opens nothing new, data resolves.
            server = try await first.restarted()
            #expect(try await Self.alerts(server, "?state=open").count == 3)
            let pump2 = try await {
                var c = MQTTClientConfiguration(host: "127.0.0.1", port: server.mqttPort, clientID: "pump", protocolVersion: .v5)
                c.username = pump.configuration.username
                c.password = pump.configuration.password
                let client = MQTTClient(configuration: c, logger: APITestServer.logger)
                try await client.connect()
                return client
            }()
            try await Self.send(pump2, "pump", #"{"temp":51}"#)
            clock.advance(by: 61_000)
            try await Task.sleep(for: .milliseconds(150))
            try await eventually("data resolves no_data") {
                try await Self.alerts(server, "?state=resolved&device=pump").count == 1
            }
            #expect(try await Self.alerts(server, "?device=pump").count == 2)
            try await Self.send(pump2, "pump", #"{"temp":20}"#)
            try await eventually("cooled") { try await Self.alerts(server, "?state=open&device=pump").isEmpty }
            await pump2.disconnect()
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("rules are checked (422), a viewer reads but cannot change or acknowledge, another tenant sees nothing")
    func validationAndAccess() async throws {
        let server = try await APITestServer.start(.sqlite, configure: Self.fastAlerts)
        defer { Task { await server.stop() } }
        let api = server.http()
        _ = try await api.post("/api/v1/devices", ["uid": "door"])
        let bad: [[String: Any]] = [
            ["key": "temp", "op": ">", "threshold": 1],
            ["name": "x", "op": ">", "threshold": 1],
            ["name": "x", "key": "temp", "op": "~", "threshold": 1],
            ["name": "x", "key": "temp", "op": ">"],
            ["name": "x", "key": "temp", "op": ">", "threshold": "high"],
            ["name": "x", "kind": "offline"],
            ["name": "x", "kind": "sometimes", "after_s": 5],
            ["name": "x", "kind": "no_data", "after_s": 0],
            ["name": "x", "kind": "offline", "after_s": 5, "device": "door", "labels": ["a": "b"]],
            ["name": "x", "kind": "offline", "after_s": 5, "webhook_url": "ftp://example"],
            ["name": "x", "kind": "offline", "after_s": 5, "webhook_secret": "short"],
        ]
        for body in bad {
            let reply = try await api.post("/api/v1/alert-rules", body)
            #expect(reply.status == 422 && reply.errorCode == "invalid", "\(body): \(reply.text)")
        }
        #expect(try await api.post("/api/v1/alert-rules", ["name": "x", "kind": "offline", "after_s": 5, "device": "nope"]).status == 404)
        let rule = try await api.post("/api/v1/alert-rules", ["name": "door", "kind": "offline", "after_s": 5, "device": "door"])
        let ruleID = try #require(rule.json["id"] as? Int)
        let patched = try await api.patch("/api/v1/alert-rules/\(ruleID)", ["after_s": 10, "enabled": false])
        #expect(patched.json["after_s"] as? Int == 10 && patched.json["enabled"] as? Bool == false, "\(patched.text)")
        #expect(try await api.get("/api/v1/alert-rules").items.count == 1)

        let t0ID = try #require(try await api.get("/api/v1/tenants").items.first { $0["name"] as? String == "t0" }?["id"] as? Int)
        _ = try await api.post("/api/v1/tenants", ["name": "other"])
        let other = try #require(try await api.get("/api/v1/tenants").items.first { $0["name"] as? String == "other" }?["id"] as? Int)
        _ = try await api.post("/api/v1/users", ["email": "v@t0.io", "password": "viewer-pass-1", "role": "viewer", "tenant_id": t0ID])
        _ = try await api.post("/api/v1/users", ["email": "a@other.io", "password": "other-pass-1", "role": "tenant_admin", "tenant_id": other])
        let viewer = server.http(try await server.login("v@t0.io", "viewer-pass-1"))
        let stranger = server.http(try await server.login("a@other.io", "other-pass-1"))
        #expect(try await viewer.get("/api/v1/alert-rules/\(ruleID)").status == 200)
        #expect(try await viewer.post("/api/v1/alert-rules", ["name": "v", "kind": "offline", "after_s": 5]).status == 403)
        #expect(try await viewer.patch("/api/v1/alert-rules/\(ruleID)", ["after_s": 3]).status == 403)
        #expect(try await stranger.get("/api/v1/alert-rules/\(ruleID)").status == 404)
        #expect(try await stranger.delete("/api/v1/alert-rules/\(ruleID)").status == 404)
        #expect(try await stranger.get("/api/v1/alert-rules").items.isEmpty)
        #expect(try await stranger.post("/api/v1/alerts/1/ack", [:]).status == 404)
        #expect(try await api.delete("/api/v1/alert-rules/\(ruleID)").status == 204)
        #expect(try await api.get("/api/v1/alert-rules/\(ruleID)").status == 404)
        #expect(try await api.get("/api/v1/alerts?state=sideways").status == 400)
    }
}
