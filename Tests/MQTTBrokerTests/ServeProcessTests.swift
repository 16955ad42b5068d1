import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import Logging
import PostgresNIO
import SQLiteNIO
import Testing

/// `roost serve` as a real process: port 0 logging, SIGTERM, and `kill -9` crash safety.
@Suite("roost serve process")
struct ServeProcessTests {
    /// The `roost` binary built alongside the tests.
    static var binary: String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        for config in ["debug", "release"] {
            let path = root.appendingPathComponent(".build/\(config)/roost").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return root.appendingPathComponent(".build/debug/roost").path
    }

    /// A running `roost serve`, with the ports it logged.
    struct Server {
        let process: ExternalProcess.Running
        let mqttPort: Int
        let log: URL
    }

    static func start(dataDir: URL, env: [String: String] = [:], arguments: String = "--mqtt-port 0 --http-port 0") async throws
        -> Server
    {
        let log = dataDir.appendingPathComponent("serve-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let running = try ExternalProcess.Running(
            "/bin/sh",
            [
                "-c",
                "exec env \(env.map { "\($0)=\($1)" }.joined(separator: " ")) '\(binary)' serve \(arguments) --data-dir '\(dataDir.path)' 2>'\(log.path)'",
            ])
        var port: Int?
        try await eventually("roost serve to log its mqtt port", within: 30) {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let range = text.range(of: "mqtt listening on 127.0.0.1:") ?? text.range(of: "mqtt listening on 0.0.0.0:") {
                port = Int(text[range.upperBound...].prefix { $0.isNumber })
            }
            return port != nil
        }
        return Server(process: running, mqttPort: port!, log: log)
    }

    static func client(_ port: Int, _ id: String, clean: Bool = true) -> MQTTClient {
        var c = MQTTClientConfiguration(host: "127.0.0.1", port: port, clientID: id, protocolVersion: .v5)
        c.cleanStart = clean
        c.sessionExpiry = clean ? nil : 3600
        return MQTTClient(configuration: c, logger: TestServer.logger)
    }

    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("roost-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("SIGTERM: clients get DISCONNECT 0x8B and the process exits 0")
    func sigterm() async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try await Self.start(dataDir: dir)
        let c = Self.client(server.mqttPort, "term")
        try await c.connect()
        kill(server.process.process.processIdentifier, SIGTERM)
        let result = await server.process.wait(timeout: 20)
        #expect(result.status == 0 && !result.timedOut)
        try await eventually("the client to see the broker go") { !c.isConnected }
        #expect(c.lastDisconnectReason == .serverShuttingDown)
    }

    @Test("kill -9: messages queued for an offline persistent session survive the crash")
    func crash() async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["ROOST_MQTT_SESSION_SAVE_INTERVAL": "0.1"]
        let server = try await Self.start(dataDir: dir, env: env)
        let sub = Self.client(server.mqttPort, "crash-sub", clean: false)
        try await sub.connect()
        try await sub.subscribe([Subscription(filter: "crash/#", qos: .atLeastOnce)])
        await sub.disconnect()
        let pub = Self.client(server.mqttPort, "crash-pub")
        try await pub.connect()
        for i in 0..<50 { try await pub.publish(topic: "crash/\(i)", string: "m\(i)", qos: .atLeastOnce) }

        // Wait for the broker to have written the queue, by reading its database.
        let db = try await SQLiteConnection.open(storage: .file(path: dir.appendingPathComponent("roost.sqlite").path))
        try await eventually("the offline queue to be saved", within: 10) {
            // A read may meet the writer's lock (SQLITE_BUSY): that is "not yet", not a failure.
            let rows = try? await db.query(
                "SELECT count(*) AS n FROM mqtt_session_messages WHERE client_id = 'crash-sub'", [])
            return rows?.first?.column("n")?.integer == 50
        }
        try await db.close()
        kill(server.process.process.processIdentifier, SIGKILL)
        _ = await server.process.wait(timeout: 10)

        let again = try await Self.start(dataDir: dir, env: env)
        defer { kill(again.process.process.processIdentifier, SIGTERM) }
        let back = Self.client(again.mqttPort, "crash-sub", clean: false)
        let inbox = Inbox(back)
        let connack = try await back.connect()
        #expect(connack.sessionPresent)
        let got = try await inbox.next(50, within: 10)
        #expect(Set(got.map { String(buffer: $0.payload) }) == Set((0..<50).map { "m\($0)" }))
        await back.disconnect()
    }

    @Test("settings come from flags, then ROOST_* variables, then the config file")
    func configuration() async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let config = dir.appendingPathComponent("roost.toml")
        try """
            # the file asks for port 1 (the flag wins) and two connections at most
            mqtt_port = 1
            http_port = 0

            [mqtt]
            max_connections = 2   # the environment lowers it to 1
            """.write(to: config, atomically: true, encoding: .utf8)
        let server = try await Self.start(
            dataDir: dir, env: ["ROOST_MQTT_MAX_CONNECTIONS": "1"], arguments: "--mqtt-port 0 --config '\(config.path)'")
        defer { kill(server.process.process.processIdentifier, SIGTERM) }
        let first = Self.client(server.mqttPort, "first")
        try await first.connect()
        let second = Self.client(server.mqttPort, "second")
        await #expect(throws: (any Error).self) { try await second.connect() }
        await first.disconnect()
    }

    @Test("a bad setting stops the server with a clear message")
    func badSetting() async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try await ExternalProcess.run(
            "/usr/bin/env", ["ROOST_MQTT_MAX_CONNECTIONS=many", Self.binary, "serve", "--data-dir", dir.path], timeout: 30)
        #expect(result.status != 0)
        #expect(result.output.contains("mqtt.max_connections must be an integer"), "\(result.output)")
    }

    @Test("kill -9 under QoS 1 load: every acknowledged message is stored, and retries add no duplicates")
    func ingestCrash() async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try await Self.start(dataDir: dir)
        let publisher = Self.client(server.mqttPort, "loader")
        try await publisher.connect()
        let acked = NIOLockedValueBoxWrapper()
        let total = 3_000
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for lane in 0..<50 {
                    group.addTask {
                        for i in stride(from: lane, to: total, by: 50) {
                            let topic = "t0/devices/dev-\(i % 10)/telemetry"
                            do {
                                try await publisher.publish(topic: topic, string: "{\"msg_id\":\"m\(i)\",\"data\":{\"v\":\(i)}}", qos: .atLeastOnce)
                                acked.append("m\(i)")
                            } catch {
                                return
                            }
                        }
                    }
                }
            }
        }
        try await eventually("some messages to be acknowledged", within: 30) { acked.all.count >= 500 }
        kill(server.process.process.processIdentifier, SIGKILL)
        _ = await server.process.wait(timeout: 10)
        await load.value
        let acknowledged = Set(acked.all)

        let again = try await Self.start(dataDir: dir)
        defer { kill(again.process.process.processIdentifier, SIGTERM) }
        let db = try await SQLiteConnection.open(storage: .file(path: dir.appendingPathComponent("roost.sqlite").path))
        defer { Task { try? await db.close() } }
        let stored = Set(try await db.query("SELECT msg_id FROM telemetry", []).compactMap { $0.column("msg_id")?.string })
        #expect(acknowledged.isSubset(of: stored), "acknowledged but lost: \(acknowledged.subtracting(stored).count)")

        // The devices retry everything: nothing is stored twice.
        let retry = Self.client(again.mqttPort, "loader")
        try await retry.connect()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<50 {
                group.addTask {
                    for i in stride(from: lane, to: total, by: 50) {
                        try await retry.publish(
                            topic: "t0/devices/dev-\(i % 10)/telemetry", string: "{\"msg_id\":\"m\(i)\",\"data\":{\"v\":\(i)}}",
                            qos: .atLeastOnce)
                    }
                }
            }
            try await group.waitForAll()
        }
        let count = try await db.query("SELECT count(*) AS n, count(DISTINCT device_id || '/' || msg_id) AS d FROM telemetry", [])
        #expect(count.first?.column("n")?.integer == total)
        #expect(count.first?.column("d")?.integer == total)
        await retry.disconnect()
    }

    @Test("--database postgres://…: seed 000's device lands in PostgreSQL, a duplicate does not")
    func postgres() async throws {
        guard let base = ProcessInfo.processInfo.environment["ROOST_TEST_POSTGRES_URL"] else {
            Issue.record("ROOST_TEST_POSTGRES_URL is not set: run the tests with scripts/test, which starts PostgreSQL")
            return
        }
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A database of its own, dropped afterwards.
        let name = "roost_e2e_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(12).lowercased()
        let logger = Logger(label: "test")
        let adminURL = URLComponentsLite(base)
        let admin = PostgresClient(
            configuration: .init(host: adminURL.host, port: adminURL.port, username: adminURL.user, password: nil,
                                 database: adminURL.database, tls: .disable), backgroundLogger: logger)
        let adminTask = Task { await admin.run() }
        defer { adminTask.cancel() }
        try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        let url = "postgres://\(adminURL.user)@\(adminURL.host):\(adminURL.port)/\(name)"

        let server = try await Self.start(dataDir: dir, arguments: "--mqtt-port 0 --http-port 0 --database \(url)")
        let c = Self.client(server.mqttPort, "dev-pg")
        try await c.connect()
        for i in 0..<20 {
            try await c.publish(topic: "t0/devices/dev-pg/telemetry", string: "{\"msg_id\":\"\(i)\",\"ts\":1700000000,\"data\":{\"temp\":\(i)}}", qos: .atLeastOnce)
        }
        try await c.publish(topic: "t0/devices/dev-pg/telemetry", string: "{\"msg_id\":\"5\",\"data\":{\"temp\":99}}", qos: .atLeastOnce)
        await c.disconnect()
        kill(server.process.process.processIdentifier, SIGTERM)
        #expect(await server.process.wait(timeout: 20).status == 0)

        let db = PostgresClient(
            configuration: .init(host: adminURL.host, port: adminURL.port, username: adminURL.user, password: nil,
                                 database: name, tls: .disable), backgroundLogger: logger)
        let dbTask = Task { await db.run() }
        var count = 0
        for try await n in try await db.query("SELECT count(*) FROM telemetry", logger: logger).decode(Int.self) { count = n }
        var latest = ""
        for try await l in try await db.query("SELECT latest::text FROM devices", logger: logger).decode(String.self) { latest = l }
        dbTask.cancel()
        #expect(count == 20)
        #expect(latest.contains("19"), "\(latest)")
        _ = try? await admin.query(PostgresQuery(unsafeSQL: "DROP DATABASE \(name) WITH (FORCE)"), logger: logger)
    }
}

/// host, port, user and database of a `postgres://user@host:port/db` URL (tests only).
struct URLComponentsLite {
    var user = "postgres", host = "127.0.0.1", port = 5432, database = "postgres"

    init(_ url: String) {
        guard let c = URLComponents(string: url) else { return }
        user = c.user ?? user
        host = c.host ?? host
        port = c.port ?? port
        let path = c.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if !path.isEmpty { database = path }
    }
}

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
        try await dev.publish(topic: "t0/devices/dev-a/telemetry", string: "{\"msg_id\":\"1\",\"data\":{\"v\":1}}", qos: .atLeastOnce)
        await #expect(throws: MQTTClientError.publishFailed(.notAuthorized)) {
            try await dev.publish(topic: "t0/devices/dev-b/telemetry", string: "{\"data\":{\"v\":2}}", qos: .atLeastOnce)
        }
        await #expect(throws: MQTTClientError.publishFailed(.notAuthorized)) {
            try await dev.publish(topic: "acme/devices/dev-a/telemetry", string: "{\"data\":{\"v\":3}}", qos: .atLeastOnce)
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
        let server = try await ServeProcessTests.start(dataDir: dir, arguments: "--mqtt-port 0 --http-port 0 --bind 0.0.0.0")
        defer { kill(server.process.process.processIdentifier, SIGTERM) }
        let anonymous = Self.client(server.mqttPort, "anon", nil, nil)
        await #expect(throws: MQTTClientError.connectionRefused(.notAuthorized)) { try await anonymous.connect() }
        let dev = Self.client(server.mqttPort, "dev-a", a.mqtt_username, a.mqtt_password)
        try await dev.connect()
        await dev.disconnect()
    }
}

/// HTTP ingest (seed 004) through `roost serve`, driven by Python's urllib.
@Suite("HTTP ingest")
struct HTTPIngestTests {
    static let script = """
        import json, sys, urllib.request, urllib.error
        port, key = sys.argv[1], sys.argv[2]
        def post(path, body, api_key=key):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            req = urllib.request.Request(f'http://127.0.0.1:{port}/api/v1/{path}', data=data, method='POST')
            req.add_header('Content-Type', 'application/json')
            if api_key is not None:
                req.add_header('X-API-Key', api_key)
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    return r.status, json.loads(r.read())
            except urllib.error.HTTPError as e:
                return e.code, json.loads(e.read())
        results = [
            post('ingest', {'msg_id': 'h1', 'ts': 1700000000000, 'temperature': 22.5, 'humidity': 40}),
            post('ingest', {'msg_id': 'h1', 'temperature': 99}),
            post('ingest/batch', [{'msg_id': 'b%d' % i, 'data': {'temperature': 20 + i}} for i in range(3)]),
            post('ingest', {'temperature': 1}, api_key=None),
            post('ingest', {'temperature': 1}, api_key='rk_wrong_key_1234567890'),
            post('ingest', b'not json'),
            post('ingest', {'msg_id': 'only-an-id'}),
            post('ingest/batch', [{'temperature': 1}, 'text']),
        ]
        print(json.dumps(results))
        """

    @Test("202 only after commit; 401, 400, 422 with the API's error shape; duplicates stored once")
    func ingest() async throws {
        let dir = try ServeProcessTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let creds = try await DeviceAccessTests.create(dir, tenant: "t0", uid: "esp32-1")
        let log = dir.appendingPathComponent("http.log")
        let server = try await ServeProcessTests.start(dataDir: dir, arguments: "--mqtt-port 0 --http-port 0")
        defer { kill(server.process.process.processIdentifier, SIGTERM) }
        var httpPort = ""
        try await eventually("the HTTP port in the log", within: 20) {
            let text = (try? String(contentsOf: server.log, encoding: .utf8)) ?? ""
            guard let range = text.range(of: "http listening on 127.0.0.1:") else { return false }
            httpPort = String(text[range.upperBound...].prefix { $0.isNumber })
            return !httpPort.isEmpty
        }
        _ = log
        let r = try await ExternalProcess.run("python3", ["-c", Self.script, httpPort, creds.api_key], timeout: 60)
        #expect(r.status == 0, "\(r.output)")
        let results = try JSONSerialization.jsonObject(with: Data(r.output.utf8)) as? [[Any]] ?? []
        let statuses = results.map { $0.first as? Int ?? 0 }
        #expect(statuses == [202, 202, 202, 401, 401, 400, 422, 422], "\(r.output)")
        let codes = results.compactMap { (($0.last as? [String: Any])?["error"] as? [String: Any])?["code"] as? String }
        #expect(codes == ["unauthorized", "unauthorized", "not_json", "no_fields", "not_object"], "\(r.output)")

        let db = try await SQLiteConnection.open(storage: .file(path: dir.appendingPathComponent("roost.sqlite").path))
        let rows = try await db.query("SELECT msg_id, data FROM telemetry ORDER BY received_at, msg_id", [])
        let latest = try await db.query("SELECT latest FROM devices WHERE uid = 'esp32-1'", [])
        try await db.close()
        #expect(rows.compactMap { $0.column("msg_id")?.string } == ["h1", "b0", "b1", "b2"])
        #expect(latest.first?.column("latest")?.string == "{\"temperature\":22,\"humidity\":40}")
    }
}
