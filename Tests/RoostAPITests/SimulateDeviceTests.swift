import Foundation
import Testing
import TestSupport

/// `roost simulate` devices behave like devices: commands sent through the API are answered
/// (a known one succeeds with a result, an unknown one fails with the device's error), and a
/// desired shadow change is applied and reported back.
@Suite("roost simulate: devices that answer")
struct SimulateDeviceTests {
    @Test("seed000 devices answer commands and report their shadow")
    func answers() async throws {
        let server = try await APITestServer.start(.sqlite)
        defer { Task { await server.stop() } }
        let simulate = try ExternalProcess.Running(
            CLITests.CLI.binary,
            [
                "simulate", "--devices", "2", "--rate", "2", "--duration", "20", "--mqtt", "127.0.0.1:\(server.mqttPort)",
                "--ack-delay", "0.05",
            ])
        let http = server.http()
        // Starting a process and connecting are slow on a loaded machine: a wide first wait.
        try await eventually("the simulated devices to report their shadow", within: 20) {
            let shadow = try await http.get("/api/v1/devices/sim-0/shadow")
            return (shadow.json["reported"] as? [String: Any])?["firmware"] as? String == "1.0.0"
        }

        func finalStatus(_ command: String, _ params: [String: Any] = [:]) async throws -> [String: Any] {
            let created = try await http.post("/api/v1/devices/sim-0/commands", ["command": command, "params": params])
            #expect(created.status == 201, "\(created.text)")
            let id = try #require(created.json["id"] as? String)
            var final: [String: Any] = [:]
            try await eventually("command \(command) to finish", within: 10) {
                final = try await http.get("/api/v1/commands/\(id)").json
                return ["succeeded", "failed", "expired"].contains(final["status"] as? String ?? "")
            }
            return final
        }
        let ping = try await finalStatus("ping")
        #expect(ping["status"] as? String == "succeeded", "\(ping)")
        #expect((ping["result"] as? [String: Any])?["pong"] != nil, "\(ping)")
        let interval = try await finalStatus("set_interval", ["interval_s": 0.5])
        #expect((interval["result"] as? [String: Any])?["interval_s"] as? Double == 0.5, "\(interval)")
        let unknown = try await finalStatus("self_destruct")
        #expect(unknown["status"] as? String == "failed", "\(unknown)")
        #expect(((unknown["result"] as? [String: Any])?["error"] as? String)?.contains("unknown command") == true)

        // Desired state: the device applies the delta and reports it; nothing is left to do.
        let put = try await http.put("/api/v1/devices/sim-1/shadow/desired", ["mode": "eco"])
        #expect(put.status == 200, "\(put.text)")
        try await eventually("sim-1 to report the desired mode", within: 10) {
            let shadow = try await http.get("/api/v1/devices/sim-1/shadow")
            return (shadow.json["reported"] as? [String: Any])?["mode"] as? String == "eco"
                && (shadow.json["delta"] as? [String: Any])?.isEmpty == true
        }

        let result = await simulate.wait(timeout: 40)
        let lines = result.output.split(separator: "\n")
        #expect(result.status == 0, "\(result.output)")
        #expect(lines.last?.hasPrefix("simulate: 2 devices, ") == true, "\(result.output)")
        #expect(lines.contains { $0.hasPrefix("commands: 2 answered, 1 unknown; shadow: ") }, "\(result.output)")
    }
}
