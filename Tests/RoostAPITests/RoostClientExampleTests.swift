import Foundation
import MQTTClient
import Testing

/// docs/client.md's command-line example: compiled here, run against a server, and the same
/// lines as in the docs.
@Suite("RoostClient: the documented example")
struct RoostClientExampleTests {
    @Test("docs/client.md shows exactly the example that is compiled")
    func docsMatch() throws {
        let source = try String(
            contentsOf: SchemathesisTests.root.appendingPathComponent("Tests/RoostAPITests/ClientExample.swift"), encoding: .utf8)
        let lines = source.split(separator: "\n", omittingEmptySubsequences: false)
        let begin = try #require(lines.firstIndex { $0.hasSuffix("example:begin") })
        let end = try #require(lines.firstIndex { $0.hasSuffix("example:end") })
        let example = lines[(begin + 1)..<end].joined(separator: "\n")
        let docs = try String(contentsOf: SchemathesisTests.root.appendingPathComponent("docs/client.md"), encoding: .utf8)
        #expect(docs.contains(example), "copy Tests/RoostAPITests/ClientExample.swift's example into docs/client.md")
    }

    @Test("the example runs: devices listed, a command sent, live telemetry received")
    func runs() async throws {
        let server = try await APITestServer.start(.sqlite)
        defer { Task { await server.stop() } }
        let device = server.mqttClient("example-pump")
        try await device.connect()
        defer { Task { await device.disconnect() } }
        let publisher = Task {
            for n in 0..<40 {
                try? await Task.sleep(for: .milliseconds(100))
                _ = try? await device.publish(
                    topic: "t0/devices/example-pump/telemetry", string: #"{"msg_id":"e\#(n)","data":{"temp":\#(n)}}"#,
                    qos: .atLeastOnce)
            }
        }
        defer { publisher.cancel() }
        try await Task.sleep(for: .milliseconds(300))  // the device is online
        let received = try await followFleet(
            server: URL(string: "http://127.0.0.1:\(server.httpPort)")!, email: APITestServer.adminEmail,
            password: APITestServer.adminPassword, seconds: 1.5)
        #expect(received > 0)
        let commands = try await server.http().get("/api/v1/devices/example-pump/commands").json["items"] as? [[String: Any]]
        #expect(commands?.first?["command"] as? String == "ping")
    }
}
