import Foundation
import MQTTClient
import MQTTCore
import NIOCore

/// One simulated device over its life: connects (again with backoff, 0.5 s doubling to 30 s,
/// after a failure or a lost connection), announces itself, answers commands, publishes at
/// its rate, and with `churn` drops its socket now and then without DISCONNECT (its will
/// fires) and comes back, until the deadline; then it disconnects.
struct SimulatorConnection {
    let uid: String
    let tenant: String
    let login: (username: String, password: String)?
    let profile: String
    let host: String
    let port: Int
    let qos: QoS
    let rate: Double
    let ackDelay: Double
    /// Probability per second of an ungraceful drop.
    let churn: Double
    let deadline: Date
    let stats: SimulatorStats
    let message: @Sendable (Int) -> (topic: String, payload: String)

    func run() async {
        var n = 0
        var failures = 0
        while Date() < deadline {
            let client = MQTTClient(configuration: configuration())
            do {
                try await client.connect()
                try await announce(client)
            } catch {
                await client.dropConnection()
                failures += 1
                stats.update { $0.errors += failures == 1 ? 1 : 0 }
                await backoff(failures)
                continue
            }
            failures = 0
            stats.update {
                $0.connected += 1
                $0.connects += 1
            }
            let outcome = await publishing(client, from: &n)
            stats.update { $0.connected -= 1 }
            switch outcome {
            case .deadline:
                await client.disconnect()
                return
            case .churned:
                await client.dropConnection()
                stats.update { $0.churned += 1 }
                try? await Task.sleep(for: .milliseconds(Int.random(in: 500...2000)))
            case .lost:
                await client.dropConnection()
                stats.update { $0.reconnects += 1 }
                failures = 1
                await backoff(failures)
            }
        }
    }

    enum Outcome { case deadline, churned, lost }

    private func configuration() -> MQTTClientConfiguration {
        var config = MQTTClientConfiguration(host: host, port: port, clientID: uid, protocolVersion: .v3_1_1)
        config.keepAlive = 30
        config.connectTimeout = 10
        config.username = login?.username
        config.password = login?.password
        if profile == "solar" {
            config.will = Will(
                topic: "company/\(tenant)/machine/\(uid)/status", payload: ByteBuffer(string: "{\"status\":\"offline\"}"),
                qos: .atLeastOnce, retain: true)
        }
        return config
    }

    /// The retained status seed000 and solar devices publish when they connect.
    private func announce(_ client: MQTTClient) async throws {
        switch profile {
        case "solar":
            try await client.publish(
                topic: "company/\(tenant)/machine/\(uid)/status", string: "{\"status\":\"Running\"}", qos: .atLeastOnce,
                retain: true)
        case "seed000":
            try await client.publish(
                topic: "\(tenant)/devices/\(uid)/status",
                string: "{\"online\":true,\"ts\":\(Int(Date().timeIntervalSince1970))}", qos: .atLeastOnce, retain: true)
        default: break
        }
    }

    /// Publishes until the deadline, a churn drop or a lost connection.
    private func publishing(_ client: MQTTClient, from n: inout Int) async -> Outcome {
        var device: SimulatedDevice?
        var listener: Task<Void, Never>?
        if let topics = SimulatedDevice.topics(profile: profile, uid: uid, tenant: tenant) {
            let d = SimulatedDevice(
                client: client, topics: topics, ackDelay: ackDelay, interval: 1.0 / rate, counts: stats.behaviour)
            do {
                listener = try await d.start()
                device = d
            } catch {
                return .lost
            }
        }
        defer { listener?.cancel() }
        var next = Date()
        while next < deadline {
            let interval = device?.interval.withLockedValue { $0 } ?? 1.0 / rate
            if churn > 0, Double.random(in: 0..<1) < churn * interval { return .churned }
            let (topic, payload) = message(n)
            stats.update { $0.sent += 1 }
            do {
                try await client.publish(topic: topic, string: payload, qos: qos)
                stats.update { $0.acked += 1 }
            } catch {
                if !client.isConnected { return .lost }
                stats.update { $0.errors += 1 }
            }
            n += 1
            next = next.addingTimeInterval(interval)
            let wait = next.timeIntervalSinceNow
            if wait > 0 { try? await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
        }
        return .deadline
    }

    private func backoff(_ failures: Int) async {
        let seconds = min(30, 0.5 * Double(1 << min(max(failures - 1, 0), 6)))
        let left = deadline.timeIntervalSinceNow
        guard left > 0 else { return }
        try? await Task.sleep(for: .milliseconds(Int(min(seconds, left) * 1000)))
    }
}
