import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import RoostAPI
import Testing

/// A viewer that stops reading costs nobody else anything: ingest, the broker and the other
/// sockets go on at full speed, and the slow one is told what it missed.
@Suite("API: realtime slow readers", .serialized)
struct RealtimeSlowReaderTests {
    @Test("a socket that stops reading drops its oldest events and is told; ingest and a reading socket get everything")
    func slowReader() async throws {
        var realtime = RealtimeConfiguration()
        realtime.socketBuffer = 1000
        let server = try await APITestServer.start(.sqlite, realtime: realtime)
        // Stopped before the next case starts (a shutdown beside a firehose would slow it).
        try await run(server)
        await server.stop()
    }

    func run(_ server: APITestServer) async throws {
        let fast = RealtimeClient(port: server.httpPort, token: server.adminToken)
        let slow = RealtimeClient(port: server.httpPort, token: server.adminToken)
        defer { [fast, slow].forEach { $0.close() } }
        for socket in [fast, slow] {
            socket.send(["type": "subscribe", "tenant": true, "kinds": ["telemetry"]])
            _ = try await socket.next("snapshot")
        }
        slow.pause(true)

        // 6,000 events of ~2.3 KB (~14 MB): more than the kernel's socket buffers and the
        // outbox hold, at ~2,000 a second, which a reading socket keeps up with even on a busy
        // machine (the test suite runs beside it).
        let count = 6_000
        let pad = String(repeating: "x", count: 2200)
        let publisher = server.mqttClient("firehose")
        try await publisher.connect()
        let started = ContinuousClock.now
        for i in 0..<count {
            if i % 100 == 99 { try await Task.sleep(for: .milliseconds(50)) }
            try await publisher.publish(
                topic: "t0/devices/fh-\(i % 10)/telemetry",
                string: #"{"msg_id":"s\#(i)","data":{"v":\#(i),"pad":"\#(pad)"}}"#,
                qos: i == count - 1 ? .atLeastOnce : .atMostOnce)
        }
        // The last one is QoS 1: acknowledged once committed, and everything before it with it.
        try await publisher.disconnect()
        do {
            try await eventually("the reading socket to see every message", within: 30) {
                fast.count("telemetry") >= count
            }
        } catch {
            let stats = try await server.http().get("/api/v1/stats")
            Issue.record("fast socket: \(fast.count("telemetry")) events, \(fast.count("lagged")) lagged; stats \(stats.text)")
            throw error
        }
        let elapsed = ContinuousClock.now - started
        #expect(fast.count("telemetry") == count)
        #expect(fast.count("lagged") == 0, "the reading socket dropped events")
        let stats = try await server.http().get("/api/v1/stats")
        #expect((stats.json["messages_total"] as? Int ?? 0) >= count, "\(stats.text)")

        slow.pause(false)
        let lagged = try await slow.next("lagged", within: 20)
        let dropped = lagged["dropped"] as? Int ?? 0
        #expect(dropped > 0)
        try await eventually("the slow socket to drain", within: 20) {
            slow.count("telemetry") + dropped >= count
        }
        #expect(slow.count("telemetry") < count)
        print("slow reader: \(count) messages ingested and delivered to the reading socket in \(elapsed); the slow one dropped \(dropped)")
    }
}
