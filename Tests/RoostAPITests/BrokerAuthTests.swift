import Foundation
import Testing

/// An external broker asking Roost over HTTP whether a device may log in and use a topic, in
/// EMQX 5's shape and in mosquitto-go-auth's; the caller checked (token, or loopback only).
@Suite("Broker authentication and ACL over HTTP")
struct BrokerAuthTests {
    static func device(_ server: APITestServer, _ uid: String) async throws -> (user: String, password: String) {
        let created = try await server.http().post("/api/v1/devices", ["uid": uid])
        let credentials = try #require(created.json["credentials"] as? [String: Any])
        return (try #require(credentials["mqtt_username"] as? String), try #require(credentials["mqtt_password"] as? String))
    }

    @Test("EMQX: auth allow and deny, ACL by the device's own topics; rotation takes effect at once", arguments: StoreKind.allCases)
    func emqx(_ kind: StoreKind) async throws {
        let server = try await APITestServer.start(kind)
        defer { Task { await server.stop() } }
        let pump = try await Self.device(server, "pump-1")
        _ = try await Self.device(server, "pump-2")
        let broker = HTTP(port: server.httpPort)

        func auth(_ user: String, _ password: String) async throws -> [String: Any] {
            let reply = try await broker.post(
                "/api/v1/broker/auth", ["username": user, "password": password, "clientid": "pump-1", "peerhost": "10.1.2.3"])
            #expect(reply.status == 200, "\(reply.text)")
            return reply.json
        }
        let allowed = try await auth(pump.user, pump.password)
        #expect(allowed["result"] as? String == "allow" && allowed["is_superuser"] as? Bool == false)
        #expect(try await auth(pump.user, "wrong")["result"] as? String == "deny")
        #expect(try await auth("nobody", "x")["result"] as? String == "deny")

        func acl(_ topic: String, _ action: String, user: String? = nil) async throws -> String? {
            let reply = try await broker.post(
                "/api/v1/broker/acl", ["username": user ?? pump.user, "clientid": "pump-1", "topic": topic, "action": action])
            #expect(reply.status == 200, "\(reply.text)")
            return reply.json["result"] as? String
        }
        #expect(try await acl("t0/devices/pump-1/telemetry", "publish") == "allow")
        #expect(try await acl("t0/devices/pump-1/shadow/reported", "publish") == "allow")
        #expect(try await acl("t0/devices/pump-2/telemetry", "publish") == "deny")
        #expect(try await acl("t0/devices/pump-1/commands", "subscribe") == "allow")
        #expect(try await acl("#", "subscribe") == "deny")
        #expect(try await acl("t0/devices/pump-1/telemetry", "publish", user: "nobody") == "deny")
        let bad = try await broker.post("/api/v1/broker/acl", ["username": pump.user, "topic": "x", "action": "fly"])
        #expect(bad.status == 422)

        // Rotated: the old secret is refused at once (the lookup cache is emptied).
        let rotated = try await server.http().post("/api/v1/devices/pump-1/credentials", [:])
        #expect(rotated.status == 200)
        #expect(try await auth(pump.user, pump.password)["result"] as? String == "deny")
    }

    @Test("mosquitto-go-auth: 200 to allow, 403 to deny, JSON or form bodies; no superusers")
    func goAuth() async throws {
        let server = try await APITestServer.start(.sqlite)
        defer { Task { await server.stop() } }
        let pump = try await Self.device(server, "pump-9")
        let broker = HTTP(port: server.httpPort)
        let user = try await broker.post("/api/v1/broker/mosquitto/user", ["username": pump.user, "password": pump.password])
        #expect(user.status == 200 && user.json["ok"] as? Bool == true, "\(user.text)")
        let form = "username=\(pump.user)&password=wrong&clientid=pump-9"
        let denied = try await broker.request(
            "POST", "/api/v1/broker/mosquitto/user", body: Data(form.utf8),
            headers: ["Content-Type": "application/x-www-form-urlencoded"])
        #expect(denied.status == 403 && denied.json["ok"] as? Bool == false, "\(denied.text)")
        let superuser = try await broker.post("/api/v1/broker/mosquitto/superuser", ["username": pump.user])
        #expect(superuser.status == 403)
        let write = try await broker.post(
            "/api/v1/broker/mosquitto/acl", ["username": pump.user, "topic": "t0/devices/pump-9/telemetry", "acc": 2])
        #expect(write.status == 200, "\(write.text)")
        let read = try await broker.post(
            "/api/v1/broker/mosquitto/acl", ["username": pump.user, "topic": "t0/devices/pump-9/telemetry", "acc": 1])
        #expect(read.status == 403)
        let subscribe = try await broker.post(
            "/api/v1/broker/mosquitto/acl", ["username": pump.user, "topic": "t0/devices/pump-9/commands", "acc": 4])
        #expect(subscribe.status == 200)
    }

    @Test("with broker_auth.token set, a caller without it is refused (401)")
    func token() async throws {
        let server = try await APITestServer.start(.sqlite) { $0.brokerAuthToken = "broker-secret-1" }
        defer { Task { await server.stop() } }
        let pump = try await Self.device(server, "pump-t")
        let body = ["username": pump.user, "password": pump.password]
        let anonymous = try await HTTP(port: server.httpPort).post("/api/v1/broker/auth", body)
        #expect(anonymous.status == 401 && anonymous.errorCode == "unauthorized")
        let wrong = try await HTTP(port: server.httpPort, token: "not-it").post("/api/v1/broker/auth", body)
        #expect(wrong.status == 401)
        let right = try await HTTP(port: server.httpPort, token: "broker-secret-1").post("/api/v1/broker/auth", body)
        #expect(right.status == 200 && right.json["result"] as? String == "allow", "\(right.text)")
    }
}
