import Foundation
import Histogram
import Logging
import MQTTClient
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// Publishers → broker → subscribers, timed from the subscriber's side.
struct PubSubBench {
    let host: String
    let port: Int
    let publishers: Int
    let subscribers: Int
    let qos: QoS
    let size: Int
    let rate: Int
    let duration: Double
    let maxMessages: Int
    let window: Int
    let version: ProtocolVersion
    let label: String
    /// Topic of publisher N: `%d` is replaced by N.
    var topicFormat = "bench/%d"
    /// Seed-shaped JSON telemetry with a unique msg_id instead of binary padding.
    var jsonPayload = false

    func config(_ id: String) -> MQTTClientConfiguration {
        var c = MQTTClientConfiguration(host: host, port: port, clientID: id, protocolVersion: version)
        c.keepAlive = 120
        c.connectTimeout = 30
        return c
    }

    func run() async throws {
        let stats = BenchStats()
        let logger = Logger(label: "bench")
        let runID = UInt32.random(in: 0...UInt32.max)
        var subs: [MQTTClient] = []
        for i in 0..<subscribers {
            let client = MQTTClient(configuration: config("bench-sub-\(runID)-\(i)"), logger: logger)
            try await client.connect()
            client.setMessageHandler { stats.record($0.payload) }
            try await client.subscribe([Subscription(filter: "bench/#", qos: qos)])
            subs.append(client)
        }
        var pubs: [MQTTClient] = []
        for i in 0..<publishers {
            let client = MQTTClient(configuration: config("bench-pub-\(runID)-\(i)"), logger: logger)
            try await client.connect()
            pubs.append(client)
        }
        let sent = NIOLockedValueBox(0)
        let errors = NIOLockedValueBox(0)
        let ackLatency = NIOLockedValueBox(
            Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three))
        let perPublisherCap = max(1, maxMessages / max(1, publishers))
        let perPublisherRate = rate > 0 ? Double(rate) / Double(publishers) : 0
        let start = nowNanos()
        let end = start + UInt64(duration * 1e9)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, client) in pubs.enumerated() {
                group.addTask {
                    try await publishLoop(
                        client, topic: topicFormat.replacingOccurrences(of: "%d", with: "\(index)"), index: index,
                        cap: perPublisherCap, rate: perPublisherRate, start: start, end: end, sent: sent,
                        errors: errors,
                        ackLatency: ackLatency)
                }
            }
            try await group.waitForAll()
        }
        let publishEnd = nowNanos()
        let totalSent = sent.withLockedValue { $0 }
        let expected = totalSent * subscribers
        // Drain: wait (bounded) until every published message arrived or nothing arrives for 2 s.
        let drainDeadline = nowNanos() + 10_000_000_000
        while nowNanos() < drainDeadline {
            let (received, last) = stats.state.withLockedValue { ($0.received, $0.lastReceive) }
            if received >= expected { break }
            if last > 0 && nowNanos() - max(last, publishEnd) > 2_000_000_000 { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        let result = stats.state.withLockedValue { $0 }
        let elapsed = Double(max(result.lastReceive, publishEnd) - start) / 1e9
        for c in pubs + subs { await c.disconnect() }
        let h = result.histogram
        let acks = ackLatency.withLockedValue { $0 }
        func ms(_ h: Histogram<UInt64>, _ p: Double) -> String {
            h.totalCount == 0 ? "-" : String(format: "%.2f", Double(h.valueAtPercentile(p)) / 1000)
        }
        if subscribers == 0 {
            // Ingest runs: what counts is acknowledged (for QoS 1: committed) messages per second.
            let publishSeconds = Double(publishEnd - start) / 1e9
            print(
                "label\tpublishers\tqos\tsize\tacked\tseconds\tacked_per_s\tack_p50_ms\tack_p99_ms\tack_p999_ms\terrors"
            )
            print(
                [
                    label, "\(publishers)", "\(qos.rawValue)", "\(size)", "\(totalSent)",
                    String(format: "%.2f", publishSeconds),
                    String(format: "%.0f", Double(totalSent) / publishSeconds), ms(acks, 50), ms(acks, 99),
                    ms(acks, 99.9),
                    "\(errors.withLockedValue { $0 })",
                ].joined(separator: "\t"))
            return
        }
        print(
            "label\tpublishers\tsubscribers\tqos\tsize\tsent\treceived\tseconds\tdelivered_per_s\tp50_ms\tp99_ms\tp999_ms\terrors"
        )
        print(
            [
                label, "\(publishers)", "\(subscribers)", "\(qos.rawValue)", "\(size)", "\(totalSent)",
                "\(result.received)",
                String(format: "%.2f", elapsed), String(format: "%.0f", Double(result.received) / elapsed), ms(h, 50),
                ms(h, 99), ms(h, 99.9),
                "\(errors.withLockedValue { $0 })",
            ].joined(separator: "\t"))
    }

    private func publishLoop(
        _ client: MQTTClient, topic: String, index: Int, cap: Int, rate: Double, start: UInt64, end: UInt64,
        sent: NIOLockedValueBox<Int>, errors: NIOLockedValueBox<Int>,
        ackLatency: NIOLockedValueBox<Histogram<UInt64>>
    ) async throws {
        let padding = ByteBuffer(repeating: UInt8(ascii: "x"), count: size - 8)
        let counter = NIOLockedValueBox(0)
        let run = UInt32.random(in: 0...UInt32.max)
        let json = jsonPayload
        @Sendable func payload() -> ByteBuffer {
            if json {
                let n = counter.withLockedValue { c -> Int in
                    c += 1
                    return c
                }
                let ms = Int64(Date().timeIntervalSince1970 * 1000)
                return ByteBuffer(
                    string:
                        "{\"msg_id\":\"\(run)-\(index)-\(n)\",\"ts\":\(ms),\"data\":{\"temp\":\(20 + Double(n % 500) / 100),\"hum\":\(40 + n % 20)}}"
                )
            }
            var b = ByteBuffer()
            b.reserveCapacity(size)
            b.writeInteger(nowNanos())
            b.writeImmutableBuffer(padding)
            return b
        }
        var count = 0
        if qos == .atMostOnce {
            // Bursts of `window`, each closed by a PINGREQ round trip: backpressure without acks.
            while count < cap && nowNanos() < end {
                let burst = min(window, cap - count)
                for _ in 0..<burst {
                    try await pace(count, rate: rate, start: start)
                    try await client.publish(topic: topic, payload: payload(), qos: .atMostOnce)
                    count += 1
                }
                try await client.ping()
            }
            sent.withLockedValue { $0 += count }
            return
        }
        // QoS 1/2: `window` concurrent publishers on this connection, each awaiting its ack.
        let claimed = NIOLockedValueBox(0)
        try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<window {
                group.addTask {
                    var mine = 0
                    while nowNanos() < end {
                        let n = claimed.withLockedValue { c -> Int? in
                            guard c < cap else { return nil }
                            c += 1
                            return c - 1
                        }
                        guard let n else { break }
                        try await pace(n, rate: rate, start: start)
                        do {
                            let sentAt = nowNanos()
                            try await client.publish(topic: topic, payload: payload(), qos: qos)
                            let micros = (nowNanos() - sentAt) / 1_000
                            ackLatency.withLockedValue { _ = $0.record(micros) }
                            mine += 1
                        } catch {
                            errors.withLockedValue { $0 += 1 }
                        }
                    }
                    return mine
                }
            }
            for try await mine in group { count += mine }
        }
        sent.withLockedValue { $0 += count }
    }

    /// Sleeps until the n-th message of this publisher is due (no-op without a rate).
    private func pace(_ n: Int, rate: Double, start: UInt64) async throws {
        guard rate > 0 else { return }
        let due = start + UInt64(Double(n) / rate * 1e9)
        let now = nowNanos()
        if due > now + 1_000_000 { try await Task.sleep(for: .nanoseconds(Int(due - now))) }
    }
}

/// Opens many idle connections and holds them, for the broker's memory per connection.
struct IdleBench {
    let host: String
    let port: Int
    let connections: Int
    let hold: Double
    let label: String

    func run() async throws {
        let logger = Logger(label: "bench")
        var clients: [MQTTClient] = []
        clients.reserveCapacity(connections)
        let start = nowNanos()
        var failed = 0
        for batchStart in stride(from: 0, to: connections, by: 200) {
            let batch = min(200, connections - batchStart)
            let opened = try await withThrowingTaskGroup(of: MQTTClient?.self) { group in
                for i in 0..<batch {
                    group.addTask {
                        var c = MQTTClientConfiguration(
                            host: host, port: port, clientID: "idle-\(batchStart + i)", protocolVersion: .v3_1_1)
                        c.keepAlive = 600
                        c.connectTimeout = 30
                        let client = MQTTClient(configuration: c, logger: logger)
                        do { try await client.connect(); return client } catch { return nil }
                    }
                }
                var result: [MQTTClient?] = []
                for try await c in group { result.append(c) }
                return result
            }
            for c in opened { if let c { clients.append(c) } else { failed += 1 } }
        }
        let connectSeconds = Double(nowNanos() - start) / 1e9
        print(
            "idle: \(clients.count) connections open (\(failed) failed) in \(String(format: "%.1f", connectSeconds)) s; holding \(hold) s"
        )
        FileHandle.standardOutput.synchronizeFile()
        try await Task.sleep(for: .milliseconds(Int(hold * 1000)))
        for c in clients { await c.dropConnection() }
        print("label\tconnections\tfailed\tconnect_seconds")
        print("\(label)\t\(clients.count)\t\(failed)\t\(String(format: "%.1f", connectSeconds))")
    }
}
