import Foundation
import Histogram
import Logging
import MQTTClient
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import PostgresNIO

/// `roost bench --mode fanout`: how realtime events travel between the nodes of a fleet, the
/// two ways issue 19 names. One side publishes `--rate` events a second in a batch every 10 ms
/// (as commits produce them), in Roost's fleet message format, through either the MQTT broker at
/// `--host/--port` (`--database mqtt`: QoS 0 on `roost/fleet/bench/events`, up to 200 events a
/// message, what Roost does) or PostgreSQL (`--database postgres://…`: `pg_notify` with
/// payloads under NOTIFY's 8,000-byte limit, a LISTEN on another connection). The other side
/// records each event's added latency (sent → received, µs).
struct FanoutBench {
    let via: String
    let host: String
    let port: Int
    let rate: Int
    let duration: Double
    let label: String

    /// One event line as Roost's fleet format carries it: kind, tenant, device, JSON.
    static func line(_ n: Int) -> String {
        let device = n % 1000
        return "telemetry\tt0\t\(device)\t{\"type\":\"telemetry\",\"device\":\(device),\"uid\":\"dev-\(device)\",\"tenant\":\"t0\",\"ts\":\"2026-12-04T12:00:00.000Z\",\"received_at\":\"2026-12-04T12:00:00.001Z\",\"msg_id\":\"m-\(n)\",\"data\":{\"temp\":21.5,\"hum\":40},\"sent\":\(nowNanos() / 1000)}"
    }

    func run() async throws {
        let stats = LatencyStats()
        let publish: @Sendable ([String]) async throws -> Void
        let stop: @Sendable () async -> Void
        if via == "mqtt" {
            (publish, stop) = try await mqtt(stats)
        } else {
            (publish, stop) = try await postgres(stats)
        }
        let perTick = max(1, rate / 100)
        let start = ContinuousClock.now
        var next = start
        var sent = 0
        let cpuBefore = cpuSeconds()
        while ContinuousClock.now - start < .milliseconds(Int64(duration * 1000)) {
            try await publish((0..<perTick).map { Self.line(sent + $0) })
            sent += perTick
            next += .milliseconds(10)
            try? await Task.sleep(until: next, clock: .continuous)
        }
        try? await Task.sleep(for: .seconds(1))
        let cpu = cpuSeconds() - cpuBefore
        await stop()
        let s = stats.state.withLockedValue { $0 }
        func ms(_ p: Double) -> String { String(format: "%.2f", Double(s.histogram.valueAtPercentile(p)) / 1000) }
        print("| \(label) | \(rate) events/s | \(sent) sent, \(s.received) received | p50 \(ms(50)) ms | p99 \(ms(99)) ms | p999 \(ms(99.9)) ms | bench CPU \(String(format: "%.2f", cpu)) s |")
    }

    /// Through an MQTT broker, as FleetRealtimeBus does: QoS 0, ≤ 200 events a message.
    private func mqtt(_ stats: LatencyStats) async throws -> (@Sendable ([String]) async throws -> Void, @Sendable () async -> Void) {
        let topic = "roost/fleet/bench/events"
        let subscriber = MQTTClient(configuration: MQTTClientConfiguration(host: host, port: port, clientID: "fanout-sub"))
        subscriber.setMessageHandler { stats.record(String(buffer: $0.payload).split(separator: "\n").dropFirst()) }
        try await subscriber.connect()
        _ = try await subscriber.subscribe([Subscription(filter: topic, qos: .atMostOnce)])
        let publisher = MQTTClient(configuration: MQTTClientConfiguration(host: host, port: port, clientID: "fanout-pub"))
        try await publisher.connect()
        return (
            { lines in
                var start = 0
                while start < lines.count {
                    let end = min(start + 200, lines.count)
                    let text = "node-a\n" + lines[start..<end].joined(separator: "\n")
                    _ = try publisher.startPublish(topic: topic, payload: ByteBuffer(string: text), qos: .atMostOnce)
                    start = end
                }
            },
            {
                await publisher.disconnect()
                await subscriber.disconnect()
            }
        )
    }

    /// Through PostgreSQL: NOTIFY payloads under 8,000 bytes, LISTEN on a connection of its own.
    private func postgres(_ stats: LatencyStats) async throws -> (@Sendable ([String]) async throws -> Void, @Sendable () async -> Void) {
        guard let url = URLComponents(string: via), let host = url.host else { throw BenchError("bad --database URL") }
        let configuration = PostgresConnection.Configuration(
            host: host, port: url.port ?? 5432, username: url.user ?? "postgres", password: url.password,
            database: url.path.isEmpty ? nil : String(url.path.dropFirst()), tls: .disable)
        let logger = Logger(label: "fanout")
        let loop = MultiThreadedEventLoopGroup.singleton.next()
        let listener = try await PostgresConnection.connect(on: loop, configuration: configuration, id: 1, logger: logger).get()
        let notifier = try await PostgresConnection.connect(on: loop, configuration: configuration, id: 2, logger: logger).get()
        let listening = Task {
            let notifications = try await listener.listen("roost_fleet_events")
            for try await notification in notifications { stats.record(notification.payload.split(separator: "\n").dropFirst()) }
        }
        try await Task.sleep(for: .milliseconds(200))  // LISTEN is in place
        return (
            { lines in
                var chunk = "node-a"
                for line in lines {
                    if chunk.utf8.count + line.utf8.count + 1 > 7_900 {
                        try await notifier.query("SELECT pg_notify('roost_fleet_events', \(chunk))", logger: logger)
                        chunk = "node-a"
                    }
                    chunk += "\n" + line
                }
                try await notifier.query("SELECT pg_notify('roost_fleet_events', \(chunk))", logger: logger)
            },
            {
                listening.cancel()
                try? await notifier.close()
                try? await listener.close()
            }
        )
    }
}

/// This process's user + system CPU time, seconds.
func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}
