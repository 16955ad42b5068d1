import Crypto
import Foundation
import MQTTClient
import MQTTCore
import RoostClient
import TestSupport
import Testing

/// RoostClient, the Swift package for apps, against a real server on free ports: each resource
/// round trip, the session refreshed by itself, typed errors, the live stream across a restart.
@Suite("RoostClient against roost serve")
struct RoostClientTests {
    static func client(_ server: APITestServer) -> RoostClient {
        RoostClient(server: URL(string: "http://127.0.0.1:\(server.httpPort)")!)
    }

    @Test("login, me, devices, telemetry, commands, delete; typed errors with the API's code")
    func roundTrips() async throws {
        let server = try await APITestServer.start(.sqlite)
        defer { Task { await server.stop() } }
        let roost = Self.client(server)
        // Not logged in: the server's 401, typed.
        do {
            _ = try await roost.me()
            Issue.record("me() answered without a login")
        } catch let error as RoostAPIError {
            #expect(error.isUnauthorized && error.code == "unauthorized", "\(error)")
        }
        do {
            try await roost.login(email: APITestServer.adminEmail, password: "wrong-password")
            Issue.record("a wrong password logged in")
        } catch let error as RoostAPIError {
            #expect(error.status == 401 && error.isUnauthorized, "\(error)")
        }
        try await roost.login(email: APITestServer.adminEmail, password: APITestServer.adminPassword)
        #expect(try await roost.me().email == APITestServer.adminEmail)

        let created = try await roost.createDevice(uid: "client-pump", name: "Pump")
        #expect(created.uid == "client-pump" && created.tenant == "t0")
        let device = try await roost.device("client-pump")
        #expect(device.id == created.id && device.name == "Pump")
        #expect(try await roost.devices().contains { $0.uid == "client-pump" })

        let mqtt = server.mqttClient(
            "client-pump", username: created.credentials.mqttUsername, password: created.credentials.mqttPassword)
        try await mqtt.connect()
        try await mqtt.publish(
            topic: "t0/devices/client-pump/telemetry", string: #"{"msg_id":"c1","data":{"temp":21.5}}"#, qos: .atLeastOnce)
        let points = try await roost.telemetry("client-pump")
        #expect(points.first?.msgId == "c1", "\(points)")
        await mqtt.disconnect()

        let command = try await roost.sendCommand("client-pump", "set_speed", params: ["rpm": 1200])
        #expect(command.status == .queued || command.status == .sent)
        #expect(try await roost.command(command.id).command == "set_speed")

        // Refusals carry the API's code and field.
        do {
            _ = try await roost.createDevice(uid: "a/b")
            Issue.record("a uid with a slash was accepted")
        } catch let error as RoostAPIError {
            #expect(error.status == 422 && error.field == "uid", "\(error)")
        }
        try await roost.deleteDevice("client-pump")
        do {
            _ = try await roost.device("client-pump")
            Issue.record("a deleted device was found")
        } catch let error as RoostAPIError {
            #expect(error.isNotFound && error.code == "not_found", "\(error)")
        }
        try await roost.logout()
        #expect(!roost.isLoggedIn)
    }

    @Test("an expired access token is refreshed by itself, once for requests refused together")
    func refresh() async throws {
        // Expiry is whole seconds: a 1 s token may live only a moment, too short for the retry
        // under a loaded machine; a 3 s one still has 2 s after the refresh.
        let server = try await APITestServer.start(.sqlite) { $0.accessTTL = 3 }
        defer { Task { await server.stop() } }
        let roost = Self.client(server)
        try await roost.login(email: APITestServer.adminEmail, password: APITestServer.adminPassword)
        let first = roost.accessToken
        try await Task.sleep(for: .milliseconds(3100))
        async let a = roost.me()
        async let b = roost.devices()
        #expect(try await a.email == APITestServer.adminEmail)
        _ = try await b
        #expect(roost.accessToken != first && roost.accessToken != nil)
    }

    @Test("live(devices:): events of the device, and after the server restarts, reconnected and subscribed again")
    func liveAcrossRestart() async throws {
        let (http, mqtt) = (try freeTCPPort(), try freeTCPPort())
        var server = try await APITestServer.start(.sqlite) {
            $0.httpPort = http
            $0.mqttPort = mqtt
        }
        let roost = Self.client(server)
        try await roost.login(email: APITestServer.adminEmail, password: APITestServer.adminPassword)
        _ = try await roost.createDevice(uid: "live-pump")
        var events = roost.live(devices: ["live-pump"], kinds: ["telemetry"]).makeAsyncIterator()
        func next(_ type: String) async throws -> LiveEvent {
            while let event = try await events.next() {
                if event.type == type { return event }
            }
            throw SetupError("the live stream ended before a \(type) event")
        }
        _ = try await next("snapshot")
        func publish(_ id: String) async throws {
            let client = server.mqttClient("live-publisher")
            try await client.connect()
            try await client.publish(
                topic: "t0/devices/live-pump/telemetry", string: #"{"msg_id":"\#(id)","data":{"temp":1}}"#, qos: .atLeastOnce)
            await client.disconnect()
        }
        try await publish("before")
        let before = try await next("telemetry")
        #expect(before.uid == "live-pump" && String(decoding: before.json, as: UTF8.self).contains("before"))

        server = try await server.restarted()
        _ = try await next("reconnected")
        try await publish("after")
        let after = try await next("telemetry")
        #expect(String(decoding: after.json, as: UTF8.self).contains("\"after\""))
        await server.stop()
    }
}

/// The committed client is generated from the committed document.
@Suite("RoostClient: generated code")
struct RoostClientGeneratedTests {
    @Test("Sources/RoostClient/Generated was made from the current openapi.json (else: scripts/generate-client)")
    func upToDate() throws {
        let root = SchemathesisTests.root
        let document = try Data(contentsOf: root.appendingPathComponent("Sources/RoostAPI/openapi.json"))
        let recorded = try String(
            contentsOf: root.appendingPathComponent("Sources/RoostClient/Generated/openapi.sha256"), encoding: .utf8)
        #expect(
            recorded.trimmingCharacters(in: .whitespacesAndNewlines) == SHA256Hex.of(document),
            "openapi.json changed since the client was generated: run scripts/generate-client")
    }
}

/// SHA-256 as lowercase hex, as `sha256sum` prints it.
enum SHA256Hex {
    static func of(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }
}
