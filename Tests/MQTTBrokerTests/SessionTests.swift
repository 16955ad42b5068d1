import Foundation
import MQTTBroker
import MQTTClient
import MQTTCore
import NIOCore
import Testing

@Suite("Sessions, wills and takeover")
struct SessionTests {
    static func will(_ topic: String, _ text: String, delay: UInt32? = nil) -> Will {
        var props = Properties()
        props.willDelayInterval = delay
        return Will(
            topic: topic, payload: ByteBuffer(string: text), qos: .atLeastOnce, retain: false, properties: props)
    }

    @Test("will published on abrupt close, not on DISCONNECT", arguments: [ProtocolVersion.v3_1_1, .v5])
    func will(_ version: ProtocolVersion) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let watcher = try await server.client("watcher")
        let inbox = Inbox(watcher)
        try await watcher.subscribe([Subscription(filter: "wills/#", qos: .atLeastOnce)])

        let polite = try await server.client("polite", version) { $0.will = Self.will("wills/polite", "gone") }
        await polite.disconnect()
        #expect(await inbox.isQuiet())

        let abrupt = try await server.client("abrupt", version) { $0.will = Self.will("wills/abrupt", "lost") }
        await abrupt.dropConnection()
        let got = try await inbox.next(1)
        #expect(got[0].topic == "wills/abrupt")
        #expect(String(buffer: got[0].payload) == "lost")
    }

    @Test("v5 DISCONNECT 0x04 asks for the will")
    func disconnectWithWill() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let watcher = try await server.client("watcher")
        let inbox = Inbox(watcher)
        try await watcher.subscribe([Subscription(filter: "wills/#")])
        let c = try await server.client("c") { $0.will = Self.will("wills/c", "asked") }
        await c.disconnect(reasonCode: .disconnectWithWill)
        #expect(try await inbox.next(1)[0].topic == "wills/c")
    }

    @Test("keep alive timeout closes the connection and publishes the will")
    func keepAliveTimeout() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let watcher = try await server.client("watcher")
        let inbox = Inbox(watcher)
        try await watcher.subscribe([Subscription(filter: "wills/#")])
        let raw = try await RawClient.connect(port: server.mqttPort)
        try await raw.send(
            rawConnect("silent", .v3_1_1, keepAlive: 1, will: Self.will("wills/silent", "timeout")), version: .v3_1_1)
        _ = try await raw.waitForPackets(1, .v3_1_1)
        // Keep alive 1 s: the broker must give up after 1.5 s of silence.
        try await raw.waitClosed(within: 4)
        #expect(try await inbox.next(1, within: 3)[0].topic == "wills/silent")
    }

    @Test("a delayed will reaches subscribers with PUBLISH properties only, not its Will Delay Interval (5.0)")
    func willProperties() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let watcher = try await server.client("watcher")
        let inbox = Inbox(watcher)
        try await watcher.subscribe([Subscription(filter: "wills/#", qos: .atLeastOnce)])
        var will = Self.will("wills/typed", "gone", delay: 1)
        will.properties.contentType = "text/plain"
        will.properties.userProperties = [UserProperty("site", "north")]
        let dying = try await server.client("typed") {
            $0.will = will
            $0.sessionExpiry = 30
        }
        await dying.dropConnection()
        let got = try await inbox.next(1, within: 5)[0]
        #expect(got.properties.willDelayInterval == nil)
        #expect(got.properties.contentType == "text/plain")
        #expect(got.properties.userProperties == [UserProperty("site", "north")])
    }

    @Test("keep alive: a client that pings keeps its connection past many keep alive periods; a silent one beside it is closed")
    func keepAliveKept() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let pinging = try await RawClient.connect(port: server.mqttPort)
        try await pinging.send(rawConnect("pinging", .v3_1_1, keepAlive: 4), version: .v3_1_1)
        _ = try await pinging.waitForPackets(1, .v3_1_1)
        let silent = try await RawClient.connect(port: server.mqttPort)
        try await silent.send(rawConnect("silent-4", .v3_1_1, keepAlive: 4), version: .v3_1_1)
        _ = try await silent.waitForPackets(1, .v3_1_1)
        // Keep alive 4 s (closed after 6 s of silence): a PINGREQ every 0.4 s for 9 s, one and a
        // half keep alive limits. The margin (6 s between pings) holds on a machine busy with
        // the whole suite, where a 0.4 s sleep has been seen to take seconds.
        let until = ContinuousClock.now + .seconds(9)
        var pings = 0
        while ContinuousClock.now < until {
            try await Task.sleep(for: .milliseconds(400))
            try await pinging.send(.pingreq, version: .v3_1_1)
            pings += 1
        }
        try await silent.waitClosed(within: 5)
        // CONNACK, then a PINGRESP for each PINGREQ.
        let answers = try await pinging.waitForPackets(pings + 1, .v3_1_1).dropFirst()
        #expect(answers.count == pings && answers.allSatisfy { if case .pingresp = $0 { true } else { false } })
        #expect(server.broker.stats.snapshot.clientsConnected == 1)
    }

    @Test("will delay: not sent when the client returns in time (5.0)")
    func willDelay() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let watcher = try await server.client("watcher")
        let inbox = Inbox(watcher)
        try await watcher.subscribe([Subscription(filter: "wills/#")])
        let first = try await server.client("delayed") {
            // Long enough that a reconnect on a loaded machine (the whole suite at once) is in time.
            $0.will = Self.will("wills/delayed", "late", delay: 5)
            $0.sessionExpiry = 60
        }
        await first.dropConnection()
        let second = try await server.client("delayed") {
            $0.cleanStart = false
            $0.sessionExpiry = 60
        }
        #expect(await inbox.isQuiet(for: 5.5))
        await second.disconnect()
    }

    @Test("will delay: a takeover within the delay continues the session and sends no will (5.0)")
    func willDelayTakeover() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let watcher = try await server.client("watcher")
        let inbox = Inbox(watcher)
        try await watcher.subscribe([Subscription(filter: "wills/#")])
        let first = try await server.client("delayed-t") {
            $0.will = Self.will("wills/delayed-t", "late", delay: 1)
            $0.sessionExpiry = 60
        }
        let second = try await server.client("delayed-t") {
            $0.cleanStart = false
            $0.sessionExpiry = 60
        }
        try await eventually("the first connection to be taken over") { !first.isConnected }
        #expect(await inbox.isQuiet(for: 1.5))
        await second.disconnect()
    }

    @Test("session takeover: the old connection gets DISCONNECT 0x8E and its will")
    func takeover() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let watcher = try await server.client("watcher")
        let inbox = Inbox(watcher)
        try await watcher.subscribe([Subscription(filter: "wills/#")])
        let old = try await server.client("same-id") { $0.will = Self.will("wills/same", "taken over") }
        let new = try await server.client("same-id")
        try await eventually("old connection to close") { !old.isConnected }
        #expect(old.lastDisconnectReason == .sessionTakenOver)
        #expect(new.isConnected)
        #expect(try await inbox.next(1)[0].topic == "wills/same")
    }

    @Test(
        "persistent session keeps subscriptions and queued QoS 1/2 messages while offline",
        arguments: [ProtocolVersion.v3_1_1, .v5])
    func offlineQueue(_ version: ProtocolVersion) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let configure: (inout MQTTClientConfiguration) -> Void = {
            $0.cleanStart = false
            $0.sessionExpiry = 300
        }
        let sub = try await server.client("durable", version, configure: configure)
        try await sub.subscribe([Subscription(filter: "q/#", qos: .exactlyOnce)])
        await sub.disconnect()
        // The broker must have seen the client go before anything is published.
        try await eventually("the subscriber to be offline") { server.broker.stats.snapshot.clientsConnected == 0 }
        let pub = try await server.client("pub")
        // QoS 0 first: the QoS 1 acknowledgements that follow prove it was routed (same
        // connection, in order) while the session was offline.
        try await pub.publish(topic: "q/zero", string: "qos0 is not queued", qos: .atMostOnce)
        for i in 0..<5 { try await pub.publish(topic: "q/\(i)", string: "\(i)", qos: .atLeastOnce) }

        let back = MQTTClient(
            configuration: {
                var c = server.clientConfig("durable", version); configure(&c); return c
            }())
        let inbox = Inbox(back)
        let connack = try await back.connect()
        #expect(connack.sessionPresent)
        let got = try await inbox.next(5)
        #expect(got.map { String(buffer: $0.payload) } == ["0", "1", "2", "3", "4"])
        #expect(await inbox.isQuiet())
    }

    @Test("clean start discards the old session")
    func cleanStart() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let sub = try await server.client("c", .v3_1_1) { $0.cleanStart = false }
        try await sub.subscribe([Subscription(filter: "x", qos: .atLeastOnce)])
        await sub.disconnect()
        let again = try await server.client("c", .v3_1_1) { $0.cleanStart = true }
        let inbox = Inbox(again)
        let pub = try await server.client("p")
        try await pub.publish(topic: "x", string: "gone", qos: .atLeastOnce)
        #expect(await inbox.isQuiet())
    }

    @Test("persistent sessions and retained messages survive a broker restart")
    func restart() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("roost-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let db = dir.appendingPathComponent("roost.sqlite").path

        let first = try await TestServer.start(databasePath: db)
        let sub = try await first.client("survivor", .v3_1_1) { $0.cleanStart = false }
        try await sub.subscribe([Subscription(filter: "restart/#", qos: .atLeastOnce)])
        await sub.disconnect()
        let pub = try await first.client("pub")
        try await pub.publish(topic: "restart/retained", string: "kept", qos: .atLeastOnce, retain: true)
        for i in 0..<3 { try await pub.publish(topic: "restart/\(i)", string: "m\(i)", qos: .atLeastOnce) }
        await pub.disconnect()
        await first.stop()

        let second = try await TestServer.start(databasePath: db)
        defer { Task { await second.stop() } }
        let back = MQTTClient(
            configuration: {
                var c = second.clientConfig("survivor", .v3_1_1); c.cleanStart = false; return c
            }())
        let inbox = Inbox(back)
        let connack = try await back.connect()
        #expect(connack.sessionPresent, "the session must come back after a restart")
        let got = try await inbox.next(4)
        #expect(Set(got.map { String(buffer: $0.payload) }) == ["kept", "m0", "m1", "m2"])

        let fresh = try await second.client("fresh")
        let freshInbox = Inbox(fresh)
        try await fresh.subscribe([Subscription(filter: "restart/retained")])
        #expect(String(buffer: try await freshInbox.next(1)[0].payload) == "kept")
    }

    @Test("unacknowledged QoS 1 messages are resent with DUP when the client returns")
    func inflightResend() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let raw = try await RawClient.connect(port: server.mqttPort)
        try await raw.send(rawConnect("lazy", .v3_1_1, clean: false), version: .v3_1_1)
        try await raw.send(
            .subscribe(SubscribePacket(packetID: 1, subscriptions: [Subscription(filter: "i", qos: .atLeastOnce)])),
            version: .v3_1_1)
        _ = try await raw.waitForPackets(2, .v3_1_1)
        let pub = try await server.client("pub")
        try await pub.publish(topic: "i", string: "unacked", qos: .atLeastOnce)
        let packets = try await raw.waitForPackets(3, .v3_1_1)
        guard case .publish(let first) = packets[2] else { Issue.record("expected PUBLISH"); return }
        #expect(!first.dup)
        await raw.close()  // never acknowledged

        let again = try await RawClient.connect(port: server.mqttPort)
        try await again.send(rawConnect("lazy", .v3_1_1, clean: false), version: .v3_1_1)
        let resent = try await again.waitForPackets(2, .v3_1_1)
        guard case .connack(let connack) = resent[0], case .publish(let dup) = resent[1] else {
            Issue.record("expected CONNACK then PUBLISH, got \(resent)")
            return
        }
        #expect(connack.sessionPresent)
        #expect(dup.dup && dup.packetID == first.packetID && String(buffer: dup.payload) == "unacked")
        await again.close()
    }
}
