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

    @Test("a socket that stops reading altogether is closed once events wait past max_lag; the reading one gets everything")
    func stalledReader() async throws {
        var realtime = RealtimeConfiguration()
        realtime.socketBuffer = 1000
        realtime.maxLag = .seconds(2)
        let server = try await APITestServer.start(.sqlite, realtime: realtime)
        let fast = RealtimeClient(port: server.httpPort, token: server.adminToken)
        let stalled = RealtimeClient(port: server.httpPort, token: server.adminToken)
        defer { [fast, stalled].forEach { $0.close() } }
        for socket in [fast, stalled] {
            socket.send(["type": "subscribe", "tenant": true, "kinds": ["telemetry"]])
            _ = try await socket.next("snapshot")
        }
        stalled.pause(true)
        func closedSlow() async throws -> Double {
            let metrics = try await server.http().get("/metrics").text
            let line = metrics.split(separator: "\n").first { $0.hasPrefix("roost_realtime_sockets_closed_slow_total") }
            return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        }
        let before = try await closedSlow()
        // ~14 MB of events: past what the kernel buffers and the outbox hold for the stalled one.
        let pad = String(repeating: "y", count: 2200)
        let publisher = server.mqttClient("stall-firehose")
        try await publisher.connect()
        let count = 6_000
        for i in 0..<count {
            if i % 100 == 99 { try await Task.sleep(for: .milliseconds(50)) }
            try await publisher.publish(
                topic: "t0/devices/st-\(i % 10)/telemetry", string: #"{"msg_id":"w\#(i)","data":{"v":\#(i),"pad":"\#(pad)"}}"#,
                qos: i == count - 1 ? .atLeastOnce : .atMostOnce)
        }
        try await publisher.disconnect()
        try await eventually("the stalled socket to be closed", within: 20) { try await closedSlow() > before }
        do {
            try await eventually("the reading socket to see every message", within: 30) { fast.count("telemetry") >= count }
        } catch {
            let stats = try await server.http().get("/api/v1/stats").text
            Issue.record("reading socket: \(fast.count("telemetry")) of \(count), closed slow \(try await closedSlow() - before); \(stats)")
            throw error
        }
        #expect(fast.count("lagged") == 0)
        #expect(try await closedSlow() - before == 1)
        // Reading again, the stalled client finds its connection ended.
        stalled.pause(false)
        _ = try? await stalled.closed(within: 20)
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
