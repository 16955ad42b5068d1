import ArgumentParser
import Foundation
import Logging
import MQTTClient
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import RoostCLI
import RoostServer

/// `roost simulate`: devices shaped like the reference systems' own simulators, publishing at a
/// fixed rate for a fixed time, then a summary. Bounded in count and time.
struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Simulate devices publishing telemetry (seed000, solar or climate profile).",
        discussion: """
            Devices answer commands, keep a shadow, reconnect with backoff; a live line on a terminal.
            The last line printed is `simulate: N devices, S sent, A acked, E errors`.
            Examples:
              roost simulate --devices 1000 --rate 1 --duration 60 --mqtt 127.0.0.1:1883
              roost simulate --devices 100 --churn 0.01 --profile solar       # 1 % of devices drop each second
              roost simulate --devices 50 --provision --server http://127.0.0.1:8080   # own credentials each
            """)

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
    @Option(help: "Probability per second that a device drops its connection without DISCONNECT (0-1), then comes back.")
    var churn = 0.0
    @Flag(help: "Create the devices through the API first (--server, a tenant admin's login) and log in with their own credentials.")
    var provision = false
    @Option(help: "Tenant of the devices (their topics name it). Default t0 (seed000) or 1 (solar, climate).")
    var tenant: String?
    @OptionGroup var server: ServerOptions

    func run() async throws {
        bootstrapLogging(.critical)
        guard let level = QoS(rawValue: UInt8(qos)) else { throw ValidationError("--qos must be 0, 1 or 2") }
        guard ["seed000", "solar", "climate"].contains(profile) else {
            throw ValidationError("--profile must be seed000, solar or climate")
        }
        guard devices > 0, rate > 0, duration > 0 else {
            throw ValidationError("--devices, --rate and --duration must be positive")
        }
        guard (0...1).contains(churn) else { throw ValidationError("--churn must be between 0 and 1") }
        let parts = mqtt.split(separator: ":")
        guard parts.count == 2, let port = Int(parts[1]) else { throw ValidationError("--mqtt must be HOST:PORT") }
        let host = String(parts[0])
        guard ackDelay >= 0 else { throw ValidationError("--ack-delay must not be negative") }
        let uids = (0..<devices).map { "\(prefix)-\($0)" }
        var logins: [String: Provisioner.Login] = [:]
        if provision {
            logins = try await provisioned(uids)
        }
        let topicTenant = tenant ?? (profile == "seed000" ? "t0" : "1")
        // Message ids carry a tag of this run, so that a second run's messages are not taken
        // for repeats of the first's.
        let run = String(UInt32.random(in: 0...UInt32.max), radix: 36)
        let stats = SimulatorStats()
        let deadline = Date().addingTimeInterval(duration)
        let finished = NIOLockedValueBox(false)
        let live = stats.live(devices: devices, until: { finished.withLockedValue { $0 } })
        await withTaskGroup(of: Void.self) { group in
            for uid in uids {
                let login = logins[uid]
                let deviceTenant = login?.tenant ?? topicTenant
                let connection = SimulatorConnection(
                    uid: uid, tenant: deviceTenant, login: login.map { ($0.username, $0.password) }, profile: profile,
                    host: host, port: port, qos: level, rate: rate, ackDelay: ackDelay, churn: churn, deadline: deadline,
                    stats: stats,
                    message: { [profile] n in Self.message(profile: profile, uid: uid, tenant: deviceTenant, run: run, n: n) })
                group.addTask { await connection.run() }
            }
        }
        finished.withLockedValue { $0 = true }
        live?.cancel()
        await live?.value
        let c = stats.snapshot
        let b = stats.behaviour.withLockedValue { $0 }
        print("connections: \(c.connects) made, \(c.reconnects) lost and made again, \(c.churned) dropped by --churn")
        if SimulatedDevice.topics(profile: profile, uid: "x", tenant: topicTenant) != nil {
            print("commands: \(b.answered) answered, \(b.unknown) unknown; shadow: \(b.reports) reports")
        }
        print("simulate: \(devices) devices, \(c.sent) sent, \(c.acked) acked, \(c.errors) errors")
    }

    /// Creates or rotates every device through the API, with progress on a terminal.
    private func provisioned(_ uids: [String]) async throws -> [String: Provisioner.Login] {
        guard server.named else {
            throw ValidationError("--provision needs --server URL (or ROOST_SERVER) and a `roost login` or ROOST_TOKEN")
        }
        let interactive = isatty(STDERR_FILENO) == 1
        let total = uids.count
        do {
            let logins = try await Provisioner.logins(server, tenant: tenant, uids: uids) { done in
                if interactive && (done % 50 == 0 || done == total) {
                    FileHandle.standardError.write(Data("\r\u{1B}[Kprovisioned \(done)/\(total)".utf8))
                }
            }
            if interactive { FileHandle.standardError.write(Data("\n".utf8)) }
            print("provisioned \(logins.count) devices through \(server.host)")
            return logins
        } catch let error as CLIError {
            FileHandle.standardError.write(Data("roost: \(error.message)\n".utf8))
            throw ExitCode(error.code)
        }
    }

    /// Topic and payload of message `n` of a device, in the profile's shape.
    static func message(profile: String, uid: String, tenant: String, run: String, n: Int) -> (topic: String, payload: String) {
        let t = Double(n)
        switch profile {
        case "solar":
            let payload = String(
                format:
                    "{\"battery\":%.1f,\"solar_v\":%.1f,\"solar_a\":%.2f,\"water\":%ld,\"extra\":{\"temp\":%.1f,\"vibration\":%.3f}}",
                12.5 + sin(t / 30), 20 + 2 * sin(t / 10), 4 + sin(t / 7), 80 - n % 80, 30 + 3 * sin(t / 20),
                0.01 + Double(n % 5) / 1000)
            return ("company/\(tenant)/machine/\(uid)/telemetry", payload)
        case "climate":
            let feed = n % 2 == 0 ? "temperature" : "humidity"
            let value = n % 2 == 0 ? 21 + 2 * sin(t / 15) : 45 + 5 * sin(t / 25)
            return ("users/\(tenant)/devices/\(uid)/feeds/\(feed)", String(format: "{\"value\":\"%.2f\"}", value))
        default:
            let payload =
                "{\"msg_id\":\"\(uid)-\(run)-\(n)\",\"ts\":\(Int(Date().timeIntervalSince1970)),\"data\":{\"temp\":"
                + String(format: "%.2f", 20 + 5 * (sin(t / 12) + 1) / 2) + "}}"
            return ("\(tenant)/devices/\(uid)/telemetry", payload)
        }
    }
}
