import Foundation
import MQTTBroker
import Testing

/// Every DISCONNECT the server sends reaches a v5 client with its reason code before the
/// connection ends: the server half-closes and lets the client read, instead of closing at
/// once (which resets a connection with unread bytes, and the client then reads nothing).
/// paho-mqtt is the peer where it can be made to misbehave, a raw socket where it cannot.
@Suite("server DISCONNECT reasons reach the client")
struct ServerDisconnectTests {
    private func paho(_ scenario: String, _ server: TestServer, extra: [String] = []) async throws {
        try await PahoInteropTests.run(scenario: scenario, server, version: 5, extra: extra)
    }

    @Test("0x8E session taken over, 0x8D keep alive timeout, 0x93 receive maximum exceeded")
    func takeoverKeepAliveReceiveMaximum() async throws {
        var configuration = BrokerConfiguration()
        configuration.receiveMaximum = 5
        let server = try await TestServer.start(configuration: configuration)
        defer { Task { await server.stop() } }
        for _ in 0..<3 { try await paho("takeover", server) }
        try await paho("keepalive", server)
        try await paho("receive_max", server, extra: ["--count", "200"])
        // The broker serves others afterwards.
        try await paho("pubsub", server)
    }

    @Test("0x81 malformed, 0x82 protocol error, 0x95 packet too large, with unread bytes behind them")
    func protocolErrors() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        try await paho("protocol_errors", server)
        #expect(server.broker.stats.snapshot.protocolErrors >= 3)
    }

    @Test("0x8B server shutting down")
    func shutdown() async throws {
        let server = try await TestServer.start()
        let peer = try ExternalProcess.Running(
            "python3", [peerScript("paho_peer.py"), "shutdown_wait", "--port", "\(server.mqttPort)", "--version", "5"])
        try await eventually("paho to connect", within: 10) { server.broker.stats.snapshot.clientsConnected == 1 }
        await server.stop()
        let result = await peer.wait(timeout: 20)
        #expect(result.status == 0 && result.output.contains("OK shutdown"), "\(result.output)")
    }
}
