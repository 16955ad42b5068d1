import Foundation
import Testing
import TestSupport

/// `roost simulate` as a fleet: 1,000 devices for 15 s with every message stored, and devices
/// provisioned through the API that log in with their own credentials and churn.
@Suite("roost simulate: fleets")
struct SimulateFleetTests {
    /// `simulate: N devices, S sent, A acked, E errors` as numbers.
    static func summary(_ output: String) -> (devices: Int, sent: Int, acked: Int, errors: Int)? {
        guard let last = output.split(separator: "\n").last, last.hasPrefix("simulate: ") else { return nil }
        let n = last.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        return n.count == 4 ? (n[0], n[1], n[2], n[3]) : nil
    }

    static func stored(_ server: APITestServer, prefix: String) async throws -> Int {
        try await server.store.devices(.init(limit: 1000)).devices.filter { $0.uid.hasPrefix(prefix) }.count
    }

    @Test("1,000 devices for 15 s: every device connected, sent == acked, no errors, every row stored")
    func thousand() async throws {
        let server = try await APITestServer.start(.sqlite)
        defer { Task { await server.stop() } }
        let result = try await ExternalProcess.run(
            CLITests.CLI.binary,
            [
                "simulate", "--devices", "1000", "--rate", "1", "--duration", "15", "--mqtt", "127.0.0.1:\(server.mqttPort)",
                "--prefix", "k",
            ], timeout: 120)
        #expect(result.status == 0, "\(result.output)")
        let s = try #require(Self.summary(result.output), "\(result.output)")
        // How many each sends in 15 s depends on the load of the machine (suites run side by side).
        #expect(s.devices == 1000 && s.errors == 0 && s.sent == s.acked && s.acked >= 1000, "\(result.output)")
        #expect(result.output.contains("connections: 1000 made, 0 lost"), "\(result.output)")
        try await eventually("every acknowledged row stored", within: 20) {
            server.app.ingest.statistics.telemetryInserted >= s.acked
        }
        #expect(server.app.ingest.statistics.telemetryInserted == s.acked)
        #expect(try await Self.stored(server, prefix: "k-") == 1000)
    }

    @Test("--provision: devices made through the API log in with their own credentials; --churn drops and brings them back")
    func provisionAndChurn() async throws {
        let server = try await APITestServer.start(.sqlite)
        defer { Task { await server.stop() } }
        let cli = try CLITests.CLI(httpPort: server.httpPort)
        let run = try await cli.run(
            [
                "simulate", "--devices", "20", "--rate", "5", "--duration", "6", "--mqtt", "127.0.0.1:\(server.mqttPort)",
                "--prefix", "prov", "--provision", "--server", cli.server, "--churn", "0.2",
            ], environment: ["ROOST_TOKEN": server.adminToken], timeout: 60)
        #expect(run.status == 0, "\(run)")
        #expect(run.out.contains("provisioned 20 devices"), "\(run)")
        let s = try #require(Self.summary(run.out), "\(run)")
        #expect(s.errors == 0 && s.sent == s.acked, "\(run)")
        let connections = try #require(run.out.split(separator: "\n").first { $0.hasPrefix("connections: ") })
        let n = connections.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        // Drops came back (all but those too close to the end to reconnect before it).
        #expect(n.count == 3 && n[2] > 0 && n[0] > 20 && n[0] <= 20 + n[2] + n[1], "\(connections)")
        try await eventually("every acknowledged row stored", within: 10) {
            server.app.ingest.statistics.telemetryInserted >= s.acked
        }
        // Own credentials: each device's login made it online (`connect`), and each drop offline.
        let reasons = try await Set(
            (0..<20).asyncFlatMap { i in
                (try await server.http().get("/api/v1/devices/prov-\(i)/events").json["items"] as? [[String: Any]] ?? [])
                    .compactMap { $0["reason"] as? String }
            })
        #expect(reasons.contains("connect") && reasons.contains("connection_lost"), "\(reasons)")
        // A second run rotates the credentials of devices that exist, and still logs in.
        let again = try await cli.run(
            [
                "simulate", "--devices", "2", "--rate", "2", "--duration", "1", "--mqtt", "127.0.0.1:\(server.mqttPort)",
                "--prefix", "prov", "--provision", "--server", cli.server,
            ], environment: ["ROOST_TOKEN": server.adminToken], timeout: 60)
        #expect(again.status == 0 && Self.summary(again.out)?.errors == 0, "\(again)")
        // Without a server named, --provision says what it needs.
        let usage = try await cli.run(["simulate", "--provision", "--duration", "1"])
        #expect(usage.status != 0 && usage.err.contains("--provision needs --server"), "\(usage)")
    }
}

extension Sequence where Element: Sendable {
    /// The concatenated results of `transform` on each element, one after the other.
    func asyncFlatMap<T>(_ transform: (Element) async throws -> [T]) async rethrows -> [T] {
        var result: [T] = []
        for element in self { result += try await transform(element) }
        return result
    }
}
