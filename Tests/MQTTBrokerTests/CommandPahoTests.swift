import Foundation
import Testing

/// Commands with a device no one here wrote: paho-mqtt with the device's own credentials, the
/// API driven by Python's urllib (as seed 000's backend would).
@Suite("paho-mqtt: commands")
struct CommandPahoTests {
    @Test("queued while offline, sent on subscribe, sent at once while online, both answered", arguments: [3, 5])
    func commands(_ version: Int) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        try await PahoInteropTests.run(scenario: "commands", server, version: version)
    }

    @Test("sent to a clean session that drops before its PUBACK: queued again, sent at the next connect", arguments: [3, 5])
    func lostWithCleanSession(_ version: Int) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        try await PahoInteropTests.run(scenario: "commands_lost", server, version: version)
    }
}
