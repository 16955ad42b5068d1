import Foundation
import Logging
import MQTTClient
import MQTTCore
import NIOCore
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

    static func start(dataDir: URL, env: [String: String] = [:], arguments: String = "--mqtt-port 0 --http-port 0")
        async throws
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
            if let range = text.range(of: "mqtt listening on 127.0.0.1:")
                ?? text.range(of: "mqtt listening on 0.0.0.0:")
            {
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
            dataDir: dir, env: ["ROOST_MQTT_MAX_CONNECTIONS": "1"], arguments: "--mqtt-port 0 --config '\(config.path)'"
        )
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
            "/usr/bin/env", ["ROOST_MQTT_MAX_CONNECTIONS=many", Self.binary, "serve", "--data-dir", dir.path],
            timeout: 30)
        #expect(result.status != 0)
        #expect(result.output.contains("mqtt.max_connections must be an integer"), "\(result.output)")
    }

    @Test("a port in use: roost serve says so and exits non-zero instead of hanging")
    func portInUse() async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let occupant = try await TestServer.start()
        defer { Task { await occupant.stop() } }
        let result = try await ExternalProcess.run(
            Self.binary, ["serve", "--mqtt-port", "0", "--http-port", "\(occupant.mqttPort)", "--data-dir", dir.path],
            timeout: 30)
        #expect(!result.timedOut, "roost serve hung after failing to bind")
        #expect(result.status != 0)
        #expect(result.output.contains("Address already in use"), "\(result.output.suffix(500))")
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
                                try await publisher.publish(
                                    topic: topic, string: "{\"msg_id\":\"m\(i)\",\"data\":{\"v\":\(i)}}",
                                    qos: .atLeastOnce)
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
        let stored = Set(
            try await db.query("SELECT msg_id FROM telemetry", []).compactMap { $0.column("msg_id")?.string })
        #expect(acknowledged.isSubset(of: stored), "acknowledged but lost: \(acknowledged.subtracting(stored).count)")

        // The devices retry everything: nothing is stored twice.
        let retry = Self.client(again.mqttPort, "loader")
        try await retry.connect()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<50 {
                group.addTask {
                    for i in stride(from: lane, to: total, by: 50) {
                        try await retry.publish(
                            topic: "t0/devices/dev-\(i % 10)/telemetry",
                            string: "{\"msg_id\":\"m\(i)\",\"data\":{\"v\":\(i)}}",
                            qos: .atLeastOnce)
                    }
                }
            }
            try await group.waitForAll()
        }
        let count = try await db.query(
            "SELECT count(*) AS n, count(DISTINCT device_id || '/' || msg_id) AS d FROM telemetry", [])
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
            configuration: .init(
                host: adminURL.host, port: adminURL.port, username: adminURL.user, password: nil,
                database: adminURL.database, tls: .disable), backgroundLogger: logger)
        let adminTask = Task { await admin.run() }
        defer { adminTask.cancel() }
        try await admin.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"), logger: logger)
        let url = "postgres://\(adminURL.user)@\(adminURL.host):\(adminURL.port)/\(name)"

        let server = try await Self.start(dataDir: dir, arguments: "--mqtt-port 0 --http-port 0 --database \(url)")
        let c = Self.client(server.mqttPort, "dev-pg")
        try await c.connect()
        for i in 0..<20 {
            try await c.publish(
                topic: "t0/devices/dev-pg/telemetry",
                string: "{\"msg_id\":\"\(i)\",\"ts\":1700000000,\"data\":{\"temp\":\(i)}}", qos: .atLeastOnce)
        }
        try await c.publish(
            topic: "t0/devices/dev-pg/telemetry", string: "{\"msg_id\":\"5\",\"data\":{\"temp\":99}}", qos: .atLeastOnce
        )
        await c.disconnect()
        kill(server.process.process.processIdentifier, SIGTERM)
        #expect(await server.process.wait(timeout: 20).status == 0)

        let db = PostgresClient(
            configuration: .init(
                host: adminURL.host, port: adminURL.port, username: adminURL.user, password: nil,
                database: name, tls: .disable), backgroundLogger: logger)
        let dbTask = Task { await db.run() }
        var count = 0
        for try await n in try await db.query("SELECT count(*) FROM telemetry", logger: logger).decode(Int.self) {
            count = n
        }
        var latest = ""
        for try await l in try await db.query("SELECT latest::text FROM devices", logger: logger).decode(String.self) {
            latest = l
        }
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

/// `roost simulate` against `roost serve`: what it reports acknowledged is what is stored.
@Suite("roost simulate")
struct SimulateTests {
    @Test("seed000 devices: the summary line, and every acknowledged message stored")
    func simulate() async throws {
        let dir = try ServeProcessTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let server = try await ServeProcessTests.start(dataDir: dir)
        defer { kill(server.process.process.processIdentifier, SIGTERM) }
        let r = try await ExternalProcess.run(
            ServeProcessTests.binary,
            [
                "simulate", "--devices", "5", "--rate", "20", "--duration", "1", "--mqtt",
                "127.0.0.1:\(server.mqttPort)", "--qos", "1",
            ],
            timeout: 60)
        #expect(r.status == 0, "\(r.output)")
        let last = r.output.split(separator: "\n").last.map(String.init) ?? ""
        let numbers = last.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        #expect(last.hasPrefix("simulate: 5 devices, ") && numbers.count == 4, "\(last)")
        let (sent, acked, errors) = (numbers[1], numbers[2], numbers[3])
        // How many go out in the second depends on the machine (tests run side by side), so
        // only that every device sent is asserted, and that all of it was acknowledged.
        #expect(sent >= 5 && acked == sent && errors == 0, "\(last)")
        let db = try await SQLiteConnection.open(storage: .file(path: dir.appendingPathComponent("roost.sqlite").path))
        let rows = try await db.query("SELECT count(*) AS n, count(DISTINCT device_id) AS d FROM telemetry", [])
        try await db.close()
        #expect(rows.first?.column("n")?.integer == acked)
        #expect(rows.first?.column("d")?.integer == 5)
    }
}
