import Foundation
import MQTTBroker
import MQTTClient
import MQTTCore
import NIOCore
import Testing

/// A client that publishes, subscribes to what it publishes, and never reads what it is sent
/// (its PUBACKs and the copies): once its socket stays unwritable past `stalledWriteTimeout` it
/// is closed, and everyone else goes on.
@Suite("A client that reads nothing")
struct StalledReaderTests {
    static let script = #"""
        import socket, sys, time
        port = int(sys.argv[1])
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        cid = b"no-reader"
        body = b"\x00\x04MQTT\x04\x02\x00\x3c" + len(cid).to_bytes(2, "big") + cid
        s.sendall(b"\x10" + bytes([len(body)]) + body)
        # It subscribes to what it publishes: copies of every message come back, unread.
        sub = b"\x00\x01" + len(b"flood/#").to_bytes(2, "big") + b"flood/#" + b"\x00"
        s.sendall(b"\x82" + bytes([len(sub)]) + sub)
        s.setblocking(False)
        start = time.time()
        pid = 1
        pending = b""
        while time.time() - start < 20:
            if not pending:
                topic = b"flood/x"
                body = len(topic).to_bytes(2, "big") + topic + pid.to_bytes(2, "big") + b"y" * 64
                pending = b"\x32" + bytes([len(body)]) + body
                pid = pid % 65535 + 1
            try:
                pending = pending[s.send(pending):]  # a send may take part of it
                if pid % 200 == 0:
                    time.sleep(0.002)  # ~100,000 a second at most: not the whole machine
            except BlockingIOError:
                time.sleep(0.005)
            except OSError:
                print("closed after %.1f s" % (time.time() - start))
                sys.exit(0)
        print("not closed")
        """#

    @Test("closed once its socket stays unwritable past the limit; another client is served meanwhile")
    func closed() async throws {
        var configuration = BrokerConfiguration()
        configuration.stalledWriteTimeout = 1
        let server = try await TestServer.start(configuration: configuration)
        defer { Task { await server.stop() } }
        let flood = try ExternalProcess.Running("python3", ["-c", Self.script, "\(server.mqttPort)"])
        let other = try await server.client("other", .v5)
        let inbox = try await other.subscribe(to: "ok/#", qos: .atLeastOnce)
        try await Task.sleep(for: .milliseconds(500))
        try await other.publish(topic: "ok/1", string: "served", qos: .atLeastOnce)
        var iterator = inbox.makeAsyncIterator()
        #expect(await iterator.next()?.payload == ByteBuffer(string: "served"))
        let result = await flood.wait(timeout: 30)
        #expect(result.output.hasPrefix("closed after"), "\(result)")
        await other.disconnect()
    }
}
