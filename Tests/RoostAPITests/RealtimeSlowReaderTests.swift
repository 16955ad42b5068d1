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

    /// Two sockets subscribed to every telemetry event of the tenant: one that reads, and one
    /// that will be paused.
    static func sockets(_ server: APITestServer) async throws -> (RealtimeClient, RealtimeClient) {
        let reading = RealtimeClient(port: server.httpPort, token: server.adminToken)
        let paused = RealtimeClient(port: server.httpPort, token: server.adminToken)
        for socket in [reading, paused] {
            socket.send(["type": "subscribe", "tenant": true, "kinds": ["telemetry"]])
            _ = try await socket.next("snapshot")
        }
        return (reading, paused)
    }

    /// `count` events of ~2.3 KB (6,000 are ~14 MB: more than the kernel's socket buffers and
    /// the outbox hold) at ~2,000 a second, which a reading socket keeps up with even on a busy
    /// machine; the last one QoS 1, acknowledged once committed with everything before it.
    static func firehose(_ server: APITestServer, count: Int, prefix: String) async throws {
        let pad = String(repeating: "x", count: 2200)
        let publisher = server.mqttClient("firehose-\(prefix)")
        try await publisher.connect()
        for i in 0..<count {
            if i % 100 == 99 { try await Task.sleep(for: .milliseconds(50)) }
            try await publisher.publish(
                topic: "t0/devices/\(prefix)-\(i % 10)/telemetry",
                string: #"{"msg_id":"\#(prefix)\#(i)","data":{"v":\#(i),"pad":"\#(pad)"}}"#,
                qos: i == count - 1 ? .atLeastOnce : .atMostOnce)
        }
        try await publisher.disconnect()
    }

    @Test("a socket that stops reading altogether is closed once events wait past max_lag; the reading one gets everything")
    func stalledReader() async throws {
        var realtime = RealtimeConfiguration()
        realtime.socketBuffer = 1000
        realtime.maxLag = .seconds(2)
        let server = try await APITestServer.start(.sqlite, realtime: realtime)
        let (fast, stalled) = try await Self.sockets(server)
        defer { [fast, stalled].forEach { $0.close() } }
        stalled.pause(true)
        func closedSlow() async throws -> Double {
            let metrics = try await server.http().get("/metrics").text
            let line = metrics.split(separator: "\n").first { $0.hasPrefix("roost_realtime_sockets_closed_slow_total") }
            return line.flatMap { Double($0.split(separator: " ").last ?? "") } ?? 0
        }
        let before = try await closedSlow()
        let count = 6_000
        try await Self.firehose(server, count: count, prefix: "st")
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
        let (fast, slow) = try await Self.sockets(server)
        defer { [fast, slow].forEach { $0.close() } }
        slow.pause(true)

        let count = 6_000
        let started = ContinuousClock.now
        try await Self.firehose(server, count: count, prefix: "fh")
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
