import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import SQLiteNIO
import Testing

/// Device logins through `roost serve`: credentials from `roost device create`.
@Suite("Device credentials and topic access")
struct DeviceAccessTests {
    struct Issued: Decodable {
        struct Credentials: Decodable {
            let mqtt_username: String
            let mqtt_password: String
            let api_key: String
        }
        let credentials: Credentials
    }

    static func create(_ dir: URL, tenant: String, uid: String) async throws -> Issued.Credentials {
        let r = try await ExternalProcess.run(
            ServeProcessTests.binary, ["device", "create", "--data-dir", dir.path, "--tenant", tenant, "--uid", uid])
        #expect(r.status == 0, "\(r.output)")
        let json = r.output[r.output.firstIndex(of: "{")!...]
        return try JSONDecoder().decode(Issued.self, from: Data(json.utf8)).credentials
    }

    static func client(_ port: Int, _ id: String, _ user: String?, _ password: String?) -> MQTTClient {
        var c = MQTTClientConfiguration(host: "127.0.0.1", port: port, clientID: id, protocolVersion: .v5)
        c.username = user
        c.password = password
        return MQTTClient(configuration: c, logger: TestServer.logger)
    }

    @Test("a device publishes only to its own uplink topics and subscribes only to its own commands")
    func ownTopics() async throws {
        let dir = try ServeProcessTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try await Self.create(dir, tenant: "t0", uid: "dev-a")
        _ = try await Self.create(dir, tenant: "t0", uid: "dev-b")
        let server = try await ServeProcessTests.start(dataDir: dir)
        defer { kill(server.process.process.processIdentifier, SIGTERM) }

        let wrong = Self.client(server.mqttPort, "x", a.mqtt_username, "not-the-password")
        await #expect(throws: MQTTClientError.connectionRefused(.badUserNameOrPassword)) { try await wrong.connect() }

        let dev = Self.client(server.mqttPort, "dev-a", a.mqtt_username, a.mqtt_password)
        try await dev.connect()
        try await dev.publish(
            topic: "t0/devices/dev-a/telemetry", string: "{\"msg_id\":\"1\",\"data\":{\"v\":1}}", qos: .atLeastOnce)
        await #expect(throws: MQTTClientError.publishFailed(.notAuthorized)) {
            try await dev.publish(
                topic: "t0/devices/dev-b/telemetry", string: "{\"data\":{\"v\":2}}", qos: .atLeastOnce)
        }
        await #expect(throws: MQTTClientError.publishFailed(.notAuthorized)) {
            try await dev.publish(
                topic: "acme/devices/dev-a/telemetry", string: "{\"data\":{\"v\":3}}", qos: .atLeastOnce)
        }
        await #expect(throws: MQTTClientError.publishFailed(.notAuthorized)) {
            try await dev.publish(topic: "some/other/topic", string: "x", qos: .atLeastOnce)
        }
        let suback = try await dev.subscribe([
            Subscription(filter: "t0/devices/dev-a/commands", qos: .atLeastOnce),
            Subscription(filter: "t0/devices/dev-b/commands"), Subscription(filter: "t0/devices/+/commands"),
            Subscription(filter: "#"),
        ])
        #expect(suback.reasonCodes == [.grantedQoS1, .notAuthorized, .notAuthorized, .notAuthorized])
        await dev.disconnect()

        let db = try await SQLiteConnection.open(storage: .file(path: dir.appendingPathComponent("roost.sqlite").path))
        let rows = try await db.query("SELECT count(*) AS n FROM telemetry", [])
        try await db.close()
        #expect(rows.first?.column("n")?.integer == 1, "only the device's own message is stored")
    }

    @Test("binding a non-loopback address admits device logins only")
    func nonLoopback() async throws {
        let dir = try ServeProcessTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = try await Self.create(dir, tenant: "t0", uid: "dev-a")
        // Listens on all addresses; the test connects over loopback only.
        let server = try await ServeProcessTests.start(
            dataDir: dir, arguments: "--mqtt-port 0 --http-port 0 --bind 0.0.0.0")
        defer { kill(server.process.process.processIdentifier, SIGTERM) }
        let anonymous = Self.client(server.mqttPort, "anon", nil, nil)
        await #expect(throws: MQTTClientError.connectionRefused(.notAuthorized)) { try await anonymous.connect() }
        let dev = Self.client(server.mqttPort, "dev-a", a.mqtt_username, a.mqtt_password)
        try await dev.connect()
        await dev.disconnect()
    }
}
