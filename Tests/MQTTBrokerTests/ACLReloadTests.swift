import Foundation
import MQTTClient
import MQTTCore
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `roost serve --acl-file` read again on SIGHUP: a subscriber the new rules no longer allow
/// stops receiving at once (mosquitto_sub as the subscriber), and a file that does not parse
/// keeps the old rules.
@Suite("ACL file reloaded on SIGHUP")
struct ACLReloadTests {
    @Test("SIGHUP: the new rules drop a watcher's subscription at once; a broken file keeps the old rules")
    func reload() async throws {
        let dir = try ServeProcessTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let acl = dir.appendingPathComponent("acl")
        let allow = "topic write t0/#\n\nuser watcher\ntopic read t0/#\n"
        try allow.write(to: acl, atomically: true, encoding: .utf8)
        let server = try await ServeProcessTests.start(
            dataDir: dir, arguments: "--mqtt-port 0 --http-port 0 --acl-file '\(acl.path)'")
        let pid = server.process.process.processIdentifier
        defer { kill(pid, SIGTERM) }
        func log() -> String { (try? String(contentsOf: server.log, encoding: .utf8)) ?? "" }

        let watcher = try ExternalProcess.Running(
            "mosquitto_sub", ["-p", "\(server.mqttPort)", "-u", "watcher", "-i", "watcher", "-t", "t0/devices/+/telemetry", "-C", "3", "-W", "6"])
        try await Task.sleep(for: .milliseconds(700))  // subscribed
        let publisher = ServeProcessTests.client(server.mqttPort, "pub")
        try await publisher.connect()
        try await publisher.publish(topic: "t0/devices/p/telemetry", string: "allowed", qos: .atLeastOnce)

        // A file that does not parse: the old rules stay, and the log says why.
        try "frobnicate t0/#\n".write(to: acl, atomically: true, encoding: .utf8)
        kill(pid, SIGHUP)
        try await eventually("the refused reload logged", within: 10) { log().contains("the old rules stay") }
        try await publisher.publish(topic: "t0/devices/p/telemetry", string: "still-allowed", qos: .atLeastOnce)

        // The watcher's read rule gone: its subscription is dropped at once.
        try "topic write t0/#\n\nuser watcher\n".write(to: acl, atomically: true, encoding: .utf8)
        kill(pid, SIGHUP)
        try await eventually("the reload logged", within: 10) { log().contains("1 subscription(s) dropped") }
        try await publisher.publish(topic: "t0/devices/p/telemetry", string: "after-reload", qos: .atLeastOnce)
        await publisher.disconnect()

        let seen = await watcher.wait(timeout: 20)
        let lines = seen.output.split(separator: "\n").map(String.init)
        #expect(lines.contains("allowed") && lines.contains("still-allowed"), "\(seen)")
        #expect(!lines.contains("after-reload"), "\(seen)")
    }
}
