import Foundation
import MQTTBroker
import MQTTClient
import MQTTCore
import NIOCore
import NIOSSL
import Testing

@Suite("WebSocket and TLS transports")
struct TransportTests {
    @Test("own client over WebSocket at /mqtt, both versions", arguments: [ProtocolVersion.v3_1_1, .v5])
    func webSocket(_ version: ProtocolVersion) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let ws = try await server.client("ws-sub", version) {
            $0.port = server.httpPort
            $0.webSocketPath = "/mqtt"
        }
        let inbox = Inbox(ws)
        try await ws.subscribe([Subscription(filter: "ws/#", qos: .exactlyOnce)])
        let tcp = try await server.client("tcp-pub")
        try await tcp.publish(topic: "ws/big", payload: ByteBuffer(repeating: 0x42, count: 200_000), qos: .exactlyOnce)
        let got = try await inbox.next(1)
        #expect(got[0].payload.readableBytes == 200_000)
        try await ws.publish(topic: "ws/back", string: "from ws", qos: .atLeastOnce)
        #expect(String(buffer: try await inbox.next(1)[0].payload) == "from ws")
    }

    @Test("MQTT packets split across WebSocket frames and continuation frames")
    func fragmentedFrames() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let result = try await ExternalProcess.run(
            "python3",
            [
                peerScript("paho_peer.py"), "ws_fragmented", "--port", "\(server.mqttPort)", "--http-port",
                "\(server.httpPort)",
            ])
        #expect(result.status == 0 && result.output.contains("OK"), "\(result.output)")
    }

    @Test("MQTT over TLS and WSS with a certificate from files")
    func tls() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("roost-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let cert = dir.appendingPathComponent("cert.pem").path
        let key = dir.appendingPathComponent("key.pem").path
        let gen = try await ExternalProcess.run(
            "openssl",
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1",
                "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
            ])
        #expect(gen.status == 0, "\(gen.output)")
        let server = try await TestServer.start(tls: (cert, key))
        defer { Task { await server.stop() } }
        var clientTLS = TLSConfiguration.makeClientConfiguration()
        clientTLS.trustRoots = .file(cert)
        let secure = try await server.client("secure") {
            $0.port = server.tlsPort!
            $0.tls = clientTLS
            $0.tlsServerName = "localhost"
        }
        let inbox = Inbox(secure)
        try await secure.subscribe([Subscription(filter: "tls", qos: .atLeastOnce)])
        try await secure.publish(topic: "tls", string: "encrypted", qos: .atLeastOnce)
        #expect(String(buffer: try await inbox.next(1)[0].payload) == "encrypted")

        // mosquitto_sub over TLS too.
        let sub = try ExternalProcess.Running(
            "mosquitto_sub",
            ["-h", "localhost", "-p", "\(server.tlsPort!)", "--cafile", cert, "-t", "tls", "-C", "1", "-W", "10"])
        try await eventually("mosquitto_sub over TLS to subscribe") { server.broker.subscriberCount(for: "tls") >= 2 }
        try await secure.publish(topic: "tls", string: "to mosquitto", qos: .atLeastOnce)
        let r = await sub.wait(timeout: 10)
        #expect(r.output.contains("to mosquitto"), "\(r.output)")

        // MQTT over WSS on the HTTPS port.
        let wss = try await server.client("wss") {
            $0.port = server.httpsPort!
            $0.tls = clientTLS
            $0.tlsServerName = "localhost"
            $0.webSocketPath = "/mqtt"
        }
        let wssInbox = Inbox(wss)
        try await wss.subscribe([Subscription(filter: "tls", qos: .atLeastOnce)])
        try await secure.publish(topic: "tls", string: "over wss", qos: .atLeastOnce)
        #expect(String(buffer: try await wssInbox.next(1)[0].payload) == "over wss")
    }

    @Test("the client reconnects with backoff and restores its session")
    func reconnect() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let resilient = try await server.client("resilient") {
            $0.cleanStart = false
            $0.sessionExpiry = 120
            $0.reconnect = ReconnectPolicy(initialDelay: 0.05, maxDelay: 0.5, maxAttempts: 20)
        }
        let inbox = Inbox(resilient)
        try await resilient.subscribe([Subscription(filter: "rc", qos: .atLeastOnce)])
        // Kick it off the broker by taking over its client id, then free the id again.
        let thief = try await server.client("resilient") {
            $0.cleanStart = false; $0.sessionExpiry = 120
        }
        await thief.disconnect()
        try await eventually("the client to reconnect", within: 10) { resilient.isConnected }
        let pub = try await server.client("pub")
        try await pub.publish(topic: "rc", string: "after reconnect", qos: .atLeastOnce)
        #expect(String(buffer: try await inbox.next(1, within: 10)[0].payload) == "after reconnect")
    }
}
