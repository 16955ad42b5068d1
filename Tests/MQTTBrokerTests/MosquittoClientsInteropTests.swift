import Foundation
import MQTTBroker
import MQTTClient
import MQTTCore
import NIOCore
import Testing

/// The broker against Debian's mosquitto_pub and mosquitto_sub, 3.1.1 and 5.0.
@Suite("mosquitto_pub / mosquitto_sub interoperability")
struct MosquittoClientsInteropTests {
    static let versions = ["mqttv311", "mqttv5"]

    /// Starts mosquitto_sub expecting `count` messages, waits for its SUBACK-side readiness by
    /// publishing probes until one arrives, then returns the running process.
    static func startSub(
        _ server: TestServer, _ version: String, filter: String, count: Int, qos: Int = 1, extra: [String] = []
    ) throws -> ExternalProcess.Running {
        try ExternalProcess.Running(
            "mosquitto_sub",
            [
                "-h", "127.0.0.1", "-p", "\(server.mqttPort)", "-V", version, "-t", filter, "-q", "\(qos)", "-C",
                "\(count)", "-v", "-W", "20",
            ] + extra)
    }

    static func pub(
        _ server: TestServer, _ version: String, _ topic: String, _ message: String, qos: Int = 1, retain: Bool = false
    ) async throws {
        let r = try await ExternalProcess.run(
            "mosquitto_pub",
            ["-h", "127.0.0.1", "-p", "\(server.mqttPort)", "-V", version, "-t", topic, "-m", message, "-q", "\(qos)"]
                + (retain ? ["-r"] : []))
        #expect(r.status == 0, "mosquitto_pub: \(r.output)")
    }

    /// Waits until the broker has a subscriber for `topic`, i.e. mosquitto_sub's SUBSCRIBE is in.
    static func waitForSubscriber(_ server: TestServer, topic: String) async throws {
        try await eventually("mosquitto_sub to subscribe to \(topic)") { server.broker.subscriberCount(for: topic) > 0 }
    }

    @Test("publish/subscribe with wildcards at QoS 0, 1, 2", arguments: versions)
    func pubsub(_ version: String) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let sub = try Self.startSub(server, version, filter: "m/+/data", count: 3, qos: 2)
        try await Self.waitForSubscriber(server, topic: "m/a/data")
        try await Self.pub(server, version, "m/a/data", "zero", qos: 0)
        try await Self.pub(server, version, "m/b/data", "one", qos: 1)
        try await Self.pub(server, version, "m/c/other", "skipped", qos: 1)
        try await Self.pub(server, version, "m/c/data", "two", qos: 2)
        let result = await sub.wait(timeout: 20)
        #expect(result.status == 0, "\(result.output)")
        // Separate mosquitto_pub processes are separate connections: MQTT orders messages per
        // publisher only, so the three may arrive in any order.
        #expect(
            Set(result.output.split(separator: "\n").map(String.init)) == [
                "m/a/data zero", "m/b/data one", "m/c/data two",
            ])
    }

    @Test("retained message delivered to a later mosquitto_sub", arguments: versions)
    func retained(_ version: String) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        try await Self.pub(server, version, "ret/x", "kept", retain: true)
        let r = try await ExternalProcess.run(
            "mosquitto_sub", ["-p", "\(server.mqttPort)", "-V", version, "-t", "ret/#", "-C", "1", "-v", "-W", "10"])
        #expect(r.output.trimmingCharacters(in: .whitespacesAndNewlines) == "ret/x kept")
    }

    @Test("mosquitto_sub's will is published when it is killed", arguments: versions)
    func will(_ version: String) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let watcher = try await server.client("watcher")
        let inbox = Inbox(watcher)
        try await watcher.subscribe([Subscription(filter: "lwt/#", qos: .atLeastOnce)])
        let dying = try ExternalProcess.Running(
            "mosquitto_sub",
            [
                "-p", "\(server.mqttPort)", "-V", version, "-t", "nothing", "--will-topic", "lwt/sub", "--will-payload",
                "{\"status\":\"offline\"}",
                "--will-qos", "1", "-W", "20",
            ])
        try await Self.waitForSubscriber(server, topic: "nothing")
        kill(dying.process.processIdentifier, SIGKILL)
        let got = try await inbox.next(1)
        #expect(got[0].topic == "lwt/sub" && String(buffer: got[0].payload) == "{\"status\":\"offline\"}")
        _ = await dying.wait(timeout: 5)
    }

    @Test("ACL file: the denied subscription gets SUBACK failure", arguments: versions)
    func aclDenied(_ version: String) async throws {
        var hooks = BrokerHooks()
        hooks.authorizers = [try ACLFile(contents: "topic readwrite #\ntopic deny test/nosubscribe\n")]
        let server = try await TestServer.start(hooks: hooks)
        defer { Task { await server.stop() } }
        let r = try await ExternalProcess.run(
            "mosquitto_sub",
            ["-p", "\(server.mqttPort)", "-V", version, "-t", "test/nosubscribe", "-C", "1", "-W", "5", "-d"])
        // mosquitto_sub reports the failed SUBACK (0x80 / 0x87) and exits.
        #expect(r.output.contains("SUBACK"), "\(r.output)")
        let expected = version == "mqttv5" ? "Subscribed (mid: 1): 135" : "Subscribed (mid: 1): 128"
        #expect(r.output.contains(expected), "\(r.output)")
    }

    @Test("mosquitto_pub to our client and back, v5 user properties kept")
    func userProperties() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let sub = try await server.client("sub")
        let inbox = Inbox(sub)
        try await sub.subscribe([Subscription(filter: "props", qos: .atLeastOnce)])
        let r = try await ExternalProcess.run(
            "mosquitto_pub",
            [
                "-p", "\(server.mqttPort)", "-V", "mqttv5", "-t", "props", "-m", "x", "-q", "1",
                "-D", "publish", "user-property", "site", "north", "-D", "publish", "content-type", "text/plain",
            ])
        #expect(r.status == 0, "\(r.output)")
        let got = try await inbox.next(1)[0]
        #expect(got.properties.userProperties == [UserProperty("site", "north")])
        #expect(got.properties.contentType == "text/plain")
    }
}
