import ArgumentParser
import Foundation
import Logging
import MQTTClient
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import RoostServer

/// `roost simulate`: devices shaped like the reference systems' own simulators, publishing at a
/// fixed rate for a fixed time, then a summary. Bounded in count and time.
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate devices publishing telemetry (seed000, solar or climate profile).",
        discussion: "The last line printed is `simulate: N devices, S sent, A acked, E errors`.")

    @Option(help: "Number of devices.") var devices = 10
    @Option(help: "Messages per second per device.") var rate = 1.0
    @Option(help: "Seconds to run.") var duration = 10.0
    @Option(help: "Broker as HOST:PORT.") var mqtt = "127.0.0.1:1883"
    @Option(
        help:
            "seed000 (t0/devices/{uid}/…), solar (company/1/machine/{uid}/…, LWT), climate (users/1/devices/{uid}/feeds/…)."
    )
    var profile = "seed000"
    @Option(help: "QoS of telemetry (0, 1 or 2).") var qos = 1
    @Option(help: "Prefix of device uids.") var prefix = "sim"
    @Option(help: "Seconds a device takes to answer a command (seed000 and solar devices answer theirs).")
    var ackDelay = 0.1

    func run() async throws {
        bootstrapLogging(.warning)
        guard let level = QoS(rawValue: UInt8(qos)) else { throw ValidationError("--qos must be 0, 1 or 2") }
        guard ["seed000", "solar", "climate"].contains(profile) else {
            throw ValidationError("--profile must be seed000, solar or climate")
        }
        guard devices > 0, rate > 0, duration > 0 else {
            throw ValidationError("--devices, --rate and --duration must be positive")
        }
        let parts = mqtt.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else { throw ValidationError("--mqtt must be HOST:PORT") }
        let host = String(parts[0])
        guard ackDelay >= 0 else { throw ValidationError("--ack-delay must not be negative") }
        let counts = NIOLockedValueBox((sent: 0, acked: 0, errors: 0))
        let behaviour = NIOLockedValueBox(SimulatedDevice.Counts())
        let deadline = Date().addingTimeInterval(duration)
        await withTaskGroup(of: Void.self) { group in
            for index in 0..<devices {
                group.addTask {
                    await device(
                        index, host: host, port: port, qos: level, deadline: deadline, counts: counts, behaviour: behaviour)
                }
            }
        }
        let c = counts.withLockedValue { $0 }
        let b = behaviour.withLockedValue { $0 }
        if SimulatedDevice.topics(profile: profile, uid: "x") != nil {
            print("commands: \(b.answered) answered, \(b.unknown) unknown; shadow: \(b.reports) reports")
        }
        print("simulate: \(devices) devices, \(c.sent) sent, \(c.acked) acked, \(c.errors) errors")
    }

    private func device(
        _ index: Int, host: String, port: Int, qos: QoS, deadline: Date,
        counts: NIOLockedValueBox<(sent: Int, acked: Int, errors: Int)>,
        behaviour: NIOLockedValueBox<SimulatedDevice.Counts>
    ) async {
        let uid = "\(prefix)-\(index)"
        var config = MQTTClientConfiguration(host: host, port: port, clientID: uid, protocolVersion: .v3_1_1)
        config.keepAlive = 30
        let status: String
        switch profile {
        case "solar":
            status = "company/1/machine/\(uid)/status"
            config.will = Will(
                topic: status, payload: ByteBuffer(string: "{\"status\":\"offline\"}"), qos: .atLeastOnce, retain: true)
        case "climate": status = ""
        default: status = "t0/devices/\(uid)/status"
        }
        let client = MQTTClient(configuration: config)
        do {
            try await client.connect()
            if !status.isEmpty {
                let online =
                    profile == "solar"
                    ? "{\"status\":\"Running\"}" : "{\"online\":true,\"ts\":\(Int(Date().timeIntervalSince1970))}"
                try await client.publish(topic: status, string: online, qos: .atLeastOnce, retain: true)
            }
        } catch {
            counts.withLockedValue { $0.errors += 1 }
            return
        }
        var simulated: SimulatedDevice?
        var listener: Task<Void, Never>?
        if let topics = SimulatedDevice.topics(profile: profile, uid: uid) {
            let device = SimulatedDevice(
                client: client, topics: topics, ackDelay: ackDelay, interval: 1.0 / rate, counts: behaviour)
            do {
                listener = try await device.start()
                simulated = device
            } catch {
                counts.withLockedValue { $0.errors += 1 }
            }
        }
        defer { listener?.cancel() }
        var n = 0
        var next = Date()
        while next < deadline {
            let interval = simulated?.interval.withLockedValue { $0 } ?? 1.0 / rate
            let (topic, payload) = message(uid: uid, n: n)
            counts.withLockedValue { $0.sent += 1 }
            do {
                try await client.publish(topic: topic, string: payload, qos: qos)
                counts.withLockedValue { $0.acked += 1 }
            } catch {
                counts.withLockedValue { $0.errors += 1 }
            }
            n += 1
            next = next.addingTimeInterval(interval)
            let wait = next.timeIntervalSinceNow
            if wait > 0 { try? await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
        }
        await client.disconnect()
    }

    /// Topic and payload of message `n` of a device, in the profile's shape.
    private func message(uid: String, n: Int) -> (String, String) {
        let t = Double(n)
        switch profile {
        case "solar":
            let payload = String(
                format:
                    "{\"battery\":%.1f,\"solar_v\":%.1f,\"solar_a\":%.2f,\"water\":%ld,\"extra\":{\"temp\":%.1f,\"vibration\":%.3f}}",
                12.5 + sin(t / 30), 20 + 2 * sin(t / 10), 4 + sin(t / 7), 80 - n % 80, 30 + 3 * sin(t / 20),
                0.01 + Double(n % 5) / 1000)
            return ("company/1/machine/\(uid)/telemetry", payload)
        case "climate":
            let feed = n % 2 == 0 ? "temperature" : "humidity"
            let value = n % 2 == 0 ? 21 + 2 * sin(t / 15) : 45 + 5 * sin(t / 25)
            return ("users/1/devices/\(uid)/feeds/\(feed)", String(format: "{\"value\":\"%.2f\"}", value))
        default:
            let payload =
                "{\"msg_id\":\"\(uid)-\(n)\",\"ts\":\(Int(Date().timeIntervalSince1970)),\"data\":{\"temp\":"
                + String(format: "%.2f", 20 + 5 * (sin(t / 12) + 1) / 2) + "}}"
            return ("t0/devices/\(uid)/telemetry", payload)
        }
    }
}
