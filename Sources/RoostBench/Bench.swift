import ArgumentParser
import Foundation
import Histogram
import Logging
import MQTTClient
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// `roost-bench` (also run as `roost bench`): an MQTT load generator, and the stores' raw
/// ceilings. Runs publishers and subscribers against any broker and prints delivered messages
/// per second and publish→receive latency percentiles. Every run is bounded by `--duration`
/// and `--messages`. A target of its own, so the server binary carries none of it.
@main
struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roost-bench",
        abstract: "MQTT load generator: N publishers, M subscribers, or idle connections.",
        discussion: "Example: roost bench --port 1883 --publishers 100 --subscribers 1 --qos 1 --duration 10")

    @Option(help: "Broker host.") var host = "127.0.0.1"
    @Option(help: "Broker port.") var port = 1883
    @Option(
        help:
            "'pubsub', 'idle', 'store' (raw insert ceiling of a database, no MQTT), 'seed' (rows spread over the last day, for scripts/bench-api), 'layout' (telemetry layout study), 'realtime' (publish → realtime WebSocket latency against roost serve), 'command' (API → device ack → succeeded on the socket), 'realtime-idle' (idle WebSockets held open) or 'fanout' (fleet realtime events through the broker, or with --database postgres://… through LISTEN/NOTIFY)."
    ) var mode = "pubsub"
    @Option(help: "Publishing connections.") var publishers = 100
    @Option(help: "Subscribing connections (each subscribes to bench/#).") var subscribers = 1
    @Option(help: "QoS of publishes and subscriptions (0, 1, 2).") var qos = 1
    @Option(help: "Payload size in bytes (at least 8).") var size = 100
    @Option(help: "Total publish rate in messages per second; 0 = as fast as the window allows.") var rate = 0
    @Option(help: "Seconds of publishing.") var duration = 10.0
    @Option(help: "Upper bound on messages published in total.") var messages = 5_000_000
    @Option(help: "Unacknowledged publishes per publisher (QoS 1/2), or burst size (QoS 0).") var window = 20
    @Option(help: "Protocol version: 3 (3.1.1) or 5.") var version = 3
    @Option(help: "Idle mode: connections to open.") var connections = 10_000
    @Option(help: "Idle mode: seconds to hold them open.") var hold = 10.0
    @Option(help: "Label printed in the results.") var label = "broker"
    @Option(help: "Topic of publisher N (%d is replaced by N). Default bench/%d.") var topic = "bench/%d"
    @Option(help: "Payload: 'bin' (timestamp + padding) or 'json' (seed-shaped telemetry with a unique msg_id).")
    var payload = "bin"
    @Option(help: "Store mode: 'sqlite' or a postgres:// URL.") var database = "sqlite"
    @Option(help: "Store mode: data directory for SQLite.") var dataDir = "./roost-bench-data"
    @Option(help: "Store mode: rows to write.") var rows = 500_000
    @Option(help: "Store mode: devices the rows are spread over.") var devices = 1_000
    @Option(help: "Store mode: rows per transaction.") var batch = 5_000
    @Option(help: "Realtime mode: roost serve's HTTP port.") var httpPort = 8080
    @Option(help: "Realtime mode: WebSockets subscribed.") var sockets = 1
    @Option(help: "Realtime mode: the user to log in as.") var email = "admin@roost.local"
    @Option(help: "Realtime mode: the password (or ROOST_BENCH_PASSWORD).") var password: String?

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = .warning
            return handler
        }
        guard let qosLevel = QoS(rawValue: UInt8(qos)) else { throw ValidationError("--qos must be 0, 1 or 2") }
        let protocolVersion: ProtocolVersion = version == 5 ? .v5 : .v3_1_1
        switch mode {
        case "idle":
            try await IdleBench(host: host, port: port, connections: connections, hold: hold, label: label).run()
        case "layout":
            try await LayoutStudy(database: database, dataDir: dataDir, rows: rows, devices: devices, batch: batch)
                .run()
        case "store", "seed":
            try await StoreBench(
                database: database, dataDir: dataDir, rows: rows, devices: devices, batch: batch, label: label,
                seed: mode == "seed"
            ).run()
        case "fanout":
            guard rate > 0 else { throw ValidationError("--rate must be > 0 in fanout mode") }
            try await FanoutBench(
                via: database == "sqlite" ? "mqtt" : database, host: host, port: port, rate: rate, duration: duration,
                label: label
            ).run()
        case "realtime":
            guard rate > 0 else { throw ValidationError("--rate must be > 0 in realtime mode") }
            guard let secret = password ?? ProcessInfo.processInfo.environment["ROOST_BENCH_PASSWORD"] else {
                throw ValidationError("realtime mode needs --password or ROOST_BENCH_PASSWORD")
            }
            try await RealtimeBench(
                host: host, mqttPort: port, httpPort: httpPort, email: email, password: secret, sockets: sockets,
                rate: rate, duration: duration, label: label
            ).run()
        case "command", "realtime-idle":
            guard let secret = password ?? ProcessInfo.processInfo.environment["ROOST_BENCH_PASSWORD"] else {
                throw ValidationError("\(mode) mode needs --password or ROOST_BENCH_PASSWORD")
            }
            if mode == "command" {
                guard rate > 0 else { throw ValidationError("--rate must be > 0 in command mode") }
                try await CommandBench(
                    host: host, mqttPort: port, httpPort: httpPort, email: email, password: secret, rate: rate,
                    duration: duration, label: label
                ).run()
            } else {
                try await RealtimeIdleBench(
                    host: host, httpPort: httpPort, email: email, password: secret, sockets: sockets, hold: hold
                ).run()
            }
        case "pubsub":
            guard size >= 8 else { throw ValidationError("--size must be at least 8") }
            guard payload == "bin" || payload == "json" else { throw ValidationError("--payload must be bin or json") }
            let load = PubSubBench(
                host: host, port: port, publishers: publishers, subscribers: subscribers, qos: qosLevel, size: size,
                rate: rate, duration: duration, maxMessages: messages, window: max(1, window), version: protocolVersion,
                label: label, topicFormat: topic, jsonPayload: payload == "json")
            try await load.run()
        default:
            throw ValidationError("--mode must be pubsub, idle, store, seed, layout, realtime, command or realtime-idle")
        }
    }
}

/// Monotonic nanoseconds, comparable across threads of this process.
@inline(__always) func nowNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

/// Counters and latency histogram shared by subscriber callbacks.
final class BenchStats: Sendable {
    struct State {
        var received = 0
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        var lastReceive: UInt64 = 0
    }
    let state = NIOLockedValueBox(State())

    func record(_ payload: ByteBuffer) {
        let now = nowNanos()
        let sent = payload.getInteger(at: payload.readerIndex, as: UInt64.self) ?? now
        let micros = now > sent ? (now - sent) / 1_000 : 0
        state.withLockedValue { s in
            s.received += 1
            _ = s.histogram.record(micros)
            s.lastReceive = now
        }
    }
}
