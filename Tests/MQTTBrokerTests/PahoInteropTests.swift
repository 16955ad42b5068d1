import Foundation
import MQTTBroker
import MQTTCore
import Testing

/// The broker against paho-mqtt (Python), over TCP and WebSocket, 3.1.1 and 5.0.
@Suite("paho-mqtt interoperability")
struct PahoInteropTests {
    static func run(_ scenario: String, _ server: TestServer, transport: String = "tcp", version: Int, qos: Int = 1)
        async throws
    {
        try await run(scenario: scenario, server, transport: transport, version: version, qos: qos)
    }

    static func run(
        scenario: String, _ server: TestServer, transport: String = "tcp", version: Int, qos: Int = 1,
        extra: [String] = []
    ) async throws {
        let result = try await ExternalProcess.run(
            "python3",
            [
                peerScript("paho_peer.py"), scenario, "--port", "\(server.mqttPort)", "--http-port",
                "\(server.httpPort)",
                "--transport", transport, "--version", "\(version)", "--qos", "\(qos)",
            ] + extra,
            timeout: 30)
        #expect(
            result.status == 0 && result.output.contains("OK"),
            "paho \(scenario) \(transport) v\(version): \(result.output)")
    }

    static let matrix: [(String, Int)] = [("tcp", 3), ("tcp", 5), ("websockets", 3), ("websockets", 5)]

    @Test("publish/subscribe at QoS 0, 1 and 2", arguments: matrix, [0, 1, 2])
    func pubsub(_ transport: (String, Int), _ qos: Int) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        try await Self.run("pubsub", server, transport: transport.0, version: transport.1, qos: qos)
    }

    @Test("retained, will, persistent session, takeover", arguments: matrix)
    func sessionScenarios(_ transport: (String, Int)) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        for scenario in ["retained", "will", "persistent", "takeover"] {
            try await Self.run(scenario, server, transport: transport.0, version: transport.1)
        }
    }

    @Test("shared subscription (5.0)", arguments: ["tcp", "websockets"])
    func shared(_ transport: String) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        try await Self.run("shared", server, transport: transport, version: 5)
    }

    @Test("ACL denial", arguments: [3, 5])
    func acl(_ version: Int) async throws {
        var hooks = BrokerHooks()
        hooks.authorizers = [try ACLFile(contents: "topic readwrite #\ntopic deny test/nosubscribe")]
        let server = try await TestServer.start(hooks: hooks)
        defer { Task { await server.stop() } }
        try await Self.run("acl", server, version: version)
    }

    @Test("malformed packet closes only that connection")
    func malformed() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        try await Self.run("malformed", server, version: 3)
    }
}

@Suite("paho-mqtt across a broker restart")
struct PahoRestartTests {
    @Test("a paho persistent session survives a broker restart", arguments: [3, 5])
    func restart(_ version: Int) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("roost-paho-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("roost.sqlite").path
        let id = "paho-restart-v\(version)"

        let first = try await TestServer.start(databasePath: db)
        try await PahoInteropTests.run(scenario: "persist_setup", first, version: version, extra: ["--client-id", id])
        let pub = try await first.client("pub")
        try await pub.publish(topic: "paho/restart/before", string: "queued before restart", qos: .atLeastOnce)
        await pub.disconnect()
        await first.stop()

        let second = try await TestServer.start(databasePath: db)
        defer { Task { await second.stop() } }
        let pub2 = try await second.client("pub")
        try await pub2.publish(topic: "paho/restart/after", string: "published after restart", qos: .atLeastOnce)
        try await PahoInteropTests.run(
            scenario: "persist_resume", second, version: version, extra: ["--client-id", id, "--expect", "2"])
    }
}
