import Foundation
import Testing
import TestSupport

/// The whole path a user's shell takes, with the simulator as the device: login → device create
/// → simulate with that device's own credentials (provisioned) → tail shows its data → command
/// send --wait returns the simulator's answer → export gives every row it had acknowledged.
@Suite("roost CLI with the simulator as the device")
struct CLISimulateTests {
    @Test("login, device create, simulate --provision, tail, command send --wait, export: every acknowledged row")
    func endToEnd() async throws {
        let server = try await APITestServer.start(.sqlite)
        defer { Task { await server.stop() } }
        let cli = try CLITests.CLI(httpPort: server.httpPort)
        let login = try await cli.run(
            ["login", cli.server, "--email", APITestServer.adminEmail, "--password-stdin"], stdin: APITestServer.adminPassword)
        #expect(login.status == 0, "\(login)")
        let created = try await cli.run(["device", "create", "--uid", "shell-0", "--server", cli.server])
        #expect(created.status == 0 && created.err.contains("mosquitto_pub"), "\(created)")

        // The simulator logs in as shell-0 (its credentials rotated through the API) and answers.
        let simulate = try cli.start([
            "simulate", "--devices", "1", "--prefix", "shell", "--rate", "4", "--duration", "10", "--provision",
            "--server", cli.server, "--mqtt", "127.0.0.1:\(server.mqttPort)", "--ack-delay", "0.05",
        ])
        let tail = try await cli.run(
            ["tail", "--device", "shell-0", "--kinds", "telemetry", "--json", "--count", "3"], timeout: 20)
        let events = tail.out.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(tail.status == 0 && events.count == 3 && events.allSatisfy { $0["uid"] as? String == "shell-0" }, "\(tail)")
        let ping = try await cli.run(["command", "send", "shell-0", "ping", "--wait", "--timeout", "15"], timeout: 30)
        #expect(ping.status == 0 && ping.out.contains("succeeded") && ping.out.contains("pong"), "\(ping)")

        let finished = CLITests.Run(await simulate.wait(timeout: 40))
        #expect(finished.status == 0, "\(finished)")
        let summary = try #require(SimulateFleetTests.summary(finished.out), "\(finished)")
        #expect(summary.errors == 0 && summary.acked == summary.sent && summary.acked > 0, "\(finished)")
        #expect(finished.out.contains("commands: 1 answered"), "\(finished)")
        let exported = try await cli.run(["export", "shell-0", "--format", "ndjson"])
        let rows = exported.out.split(separator: "\n").count
        #expect(exported.status == 0 && rows == summary.acked, "\(rows) rows exported, \(summary.acked) acknowledged")
    }
}
