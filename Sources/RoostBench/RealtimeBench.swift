import Foundation
import Histogram
import Logging
import MQTTClient
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Publish → realtime WebSocket latency: one MQTT publisher (QoS 1, so each message is
/// committed before it is announced) at a fixed rate, `sockets` WebSockets subscribed to the
/// whole installation; each message carries its send time (monotonic µs, one machine), and
/// each socket's receive time gives the latency of publish, ingest commit and push.
struct RealtimeBench {
    let host: String
    let mqttPort: Int
    let httpPort: Int
    let email: String
    let password: String
    let sockets: Int
    let rate: Int
    let duration: Double
    let label: String

    func run() async throws {
        let logger = Logger(label: "bench")
        let token = try await login()
        let stats = LatencyStats()
        let ready = NIOLockedValueBox(0)
        let path = "/api/v1/realtime?token=\(token)"
        let subscribe = #"{"type":"subscribe","tenant":true,"kinds":["telemetry"]}"#
        let snapshot = ByteBuffer(string: #"{"type":"snapshot""#)
        let telemetry = ByteBuffer(string: #"{"type":"telemetry""#)
        var clients: [any Channel] = []
        defer { for client in clients { client.close(promise: nil) } }
        for _ in 0..<sockets {
            clients.append(
                try await LeanWebSocket.connect(
                    group: MultiThreadedEventLoopGroup.singleton, host: host, port: httpPort, path: path,
                    first: subscribe
                ) { bytes in
                    if bytes.readableBytesView.starts(with: telemetry.readableBytesView) {
                        stats.record(bytes: bytes)
                    } else if bytes.readableBytesView.starts(with: snapshot.readableBytesView) {
                        ready.withLockedValue { $0 += 1 }
                    }
                })
        }
        let deadline = nowNanos() + 30_000_000_000
        while ready.withLockedValue({ $0 }) < sockets {
            guard nowNanos() < deadline else { throw BenchError("only \(ready.withLockedValue { $0 }) of \(sockets) sockets subscribed") }
            try await Task.sleep(for: .milliseconds(20))
        }
        var config = MQTTClientConfiguration(host: host, port: mqttPort, clientID: "rt-bench-pub", protocolVersion: .v5)
        config.keepAlive = 120
        let publisher = MQTTClient(configuration: config, logger: logger)
        try await publisher.connect()
        let start = nowNanos()
        let end = start + UInt64(duration * 1e9)
        var sent = 0
        let run = UInt32.random(in: 0...UInt32.max)
        // Up to 20 publishes in flight, each due at start + n / rate.
        try await withThrowingTaskGroup(of: Void.self) { group in
            let claimed = NIOLockedValueBox(0)
            for _ in 0..<20 {
                group.addTask {
                    while true {
                        let n = claimed.withLockedValue { c -> Int in
                            c += 1
                            return c - 1
                        }
                        let due = start + UInt64(Double(n) / Double(rate) * 1e9)
                        guard due < end else { return }
                        let now = nowNanos()
                        if due > now { try await Task.sleep(for: .nanoseconds(Int(due - now))) }
                        let payload =
                            "{\"msg_id\":\"\(run)-\(n)\",\"data\":{\"sent\":\(nowNanos() / 1000),\"v\":\(n % 100)}}"
                        try await publisher.publish(
                            topic: "bench/devices/rt-\(n % 10)/telemetry", payload: ByteBuffer(string: payload),
                            qos: .atLeastOnce)
                    }
                }
            }
            try await group.waitForAll()
            sent = claimed.withLockedValue { $0 } - 20
        }
        let publishEnd = nowNanos()
        let expected = sent * sockets
        let drainDeadline = nowNanos() + 10_000_000_000
        while nowNanos() < drainDeadline {
            let (received, last) = stats.state.withLockedValue { ($0.received, $0.last) }
            if received >= expected { break }
            if nowNanos() - max(last, publishEnd) > 2_000_000_000 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        await publisher.disconnect()
        let result = stats.state.withLockedValue { $0 }
        func ms(_ p: Double) -> String {
            result.histogram.totalCount == 0
                ? "-" : String(format: "%.2f", Double(result.histogram.valueAtPercentile(p)) / 1000)
        }
        print("label\tsockets\trate\tsent\treceived\tp50_ms\tp99_ms\tp999_ms")
        print(
            [label, "\(sockets)", "\(rate)", "\(sent)", "\(result.received)", ms(50), ms(99), ms(99.9)]
                .joined(separator: "\t"))
    }

    /// An access token for `email`.
    func login() async throws -> String {
        var request = URLRequest(url: URL(string: "http://\(host):\(httpPort)/api/v1/auth/login")!)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.httpBody = try JSONSerialization.data(withJSONObject: ["email": email, "password": password])
        let (data, _) = try await URLSession.shared.data(for: request)
        guard let json = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let token = json["access_token"] as? String
        else { throw BenchError("login failed: \(String(decoding: data, as: UTF8.self))") }
        return token
    }
}

/// A benchmark could not run.
struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
