import Foundation
import MQTTClient
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore

/// What a simulated device does besides publishing: it listens on its downlink and answers
/// each command on its ack topic (`ok` with a result, or `error` for a command it does not
/// know) after `ackDelay`, and keeps a shadow: it reports its state when it connects and
/// applies each delta the server sends, reporting the new values back. `@unchecked Sendable`:
/// the shadow (JSON values as `Any`) is only read and written inside its lock.
final class SimulatedDevice: @unchecked Sendable {
    /// The topics of one profile's device.
    struct Topics {
        var commands: String
        var ack: String
        var delta: String
        var reported: String
        /// The commands this kind of device knows.
        var known: Set<String>
    }

    /// Counters for the summary.
    struct Counts {
        var answered = 0
        var unknown = 0
        var reports = 0
    }

    let client: MQTTClient
    let topics: Topics
    let ackDelay: Double
    /// Seconds between telemetry messages; `set_interval` and a shadow delta may change it.
    let interval: NIOLockedValueBox<Double>
    private let shadow = NIOLockedValueBox<[String: Any]>([:])
    let counts: NIOLockedValueBox<Counts>

    init(client: MQTTClient, topics: Topics, ackDelay: Double, interval: Double, counts: NIOLockedValueBox<Counts>) {
        self.client = client
        self.topics = topics
        self.ackDelay = ackDelay
        self.interval = NIOLockedValueBox(interval)
        self.counts = counts
        shadow.withLockedValue { $0 = ["firmware": "1.0.0", "interval_s": interval] }
    }

    /// The profile's topics for device `uid`; nil for a profile whose devices take no commands.
    static func topics(profile: String, uid: String, tenant: String) -> Topics? {
        switch profile {
        case "seed000":
            let base = "\(tenant)/devices/\(uid)"
            return Topics(
                commands: "\(base)/commands", ack: "\(base)/commands/ack", delta: "\(base)/shadow/delta",
                reported: "\(base)/shadow/reported", known: ["reboot", "ping", "set_interval"])
        case "solar":
            let base = "company/\(tenant)/machine/\(uid)"
            return Topics(
                commands: "\(base)/command", ack: "\(base)/command/ack", delta: "\(base)/shadow/delta",
                reported: "\(base)/shadow/reported",
                known: ["start_cleaning", "stop_cleaning", "return_to_dock", "reboot", "ping", "set_interval"])
        default:
            return nil
        }
    }

    /// Subscribes to the downlink and the shadow delta, reports the shadow, and answers what
    /// arrives until the client's message stream ends.
    func start() async throws -> Task<Void, Never> {
        let inbox = client.messages()
        _ = try await client.subscribe([
            Subscription(filter: topics.commands, qos: .atLeastOnce), Subscription(filter: topics.delta, qos: .atLeastOnce),
        ])
        try await report(shadow.withLockedValue { $0 })
        return Task {
            for await packet in inbox {
                guard
                    let object = (try? JSONSerialization.jsonObject(with: Data(packet.payload.readableBytesView)))
                        as? [String: Any]
                else { continue }
                if packet.topic == topics.delta {
                    await applyDelta(object["delta"] as? [String: Any] ?? [:])
                } else if packet.topic == topics.commands {
                    await answer(object)
                }
            }
        }
    }

    private func answer(_ command: [String: Any]) async {
        guard let id = command["id"] as? String else { return }
        let name = command["command"] as? String ?? ""
        let params = command["params"] as? [String: Any] ?? [:]
        if ackDelay > 0 { try? await Task.sleep(for: .milliseconds(Int(ackDelay * 1000))) }
        var reply: [String: Any] = ["id": id]
        if topics.known.contains(name) {
            reply["status"] = "ok"
            switch name {
            case "set_interval":
                let seconds = min(3600, max(0.1, (params["interval_s"] as? Double) ?? 1))
                interval.withLockedValue { $0 = seconds }
                reply["result"] = ["interval_s": seconds]
            case "ping":
                reply["result"] = ["pong": Int(Date().timeIntervalSince1970)]
            default:
                reply["result"] = ["done": name]
            }
            counts.withLockedValue { $0.answered += 1 }
        } else {
            reply["status"] = "error"
            reply["result"] = ["error": "unknown command \(name)"]
            counts.withLockedValue { $0.unknown += 1 }
        }
        guard let data = try? JSONSerialization.data(withJSONObject: reply) else { return }
        try? await client.publish(topic: topics.ack, string: String(decoding: data, as: UTF8.self), qos: .atLeastOnce)
    }

    private func applyDelta(_ delta: [String: Any]) async {
        guard !delta.isEmpty else { return }
        if let seconds = delta["interval_s"] as? Double {
            interval.withLockedValue { $0 = min(3600, max(0.1, seconds)) }
        }
        shadow.withLockedValue { state in
            for (key, value) in delta { state[key] = value }
        }
        try? await report(delta)
    }

    private func report(_ state: [String: Any]) async throws {
        let data = try JSONSerialization.data(withJSONObject: state, options: [.sortedKeys])
        try await client.publish(topic: topics.reported, string: String(decoding: data, as: UTF8.self), qos: .atLeastOnce)
        counts.withLockedValue { $0.reports += 1 }
    }
}
