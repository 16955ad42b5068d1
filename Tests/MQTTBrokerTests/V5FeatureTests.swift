import MQTTBroker
import MQTTClient
import MQTTCore
import NIOCore
import Testing

@Suite("MQTT 5 features")
struct V5FeatureTests {
    @Test("request/response properties and user properties pass through unchanged")
    func passThrough() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let sub = try await server.client("sub")
        let inbox = Inbox(sub)
        try await sub.subscribe([Subscription(filter: "req", qos: .atLeastOnce)])
        let pub = try await server.client("pub")
        var props = Properties()
        props.responseTopic = "resp/pub"
        props.correlationData = ByteBuffer(bytes: [0xCA, 0xFE])
        props.contentType = "application/json"
        props.payloadFormatIndicator = 1
        props.userProperties = [UserProperty("trace", "abc"), UserProperty("trace", "def")]
        try await pub.publish(topic: "req", payload: ByteBuffer(string: "{}"), qos: .atLeastOnce, properties: props)
        let got = try await inbox.next(1)[0].properties
        #expect(got.responseTopic == "resp/pub")
        #expect(got.correlationData == ByteBuffer(bytes: [0xCA, 0xFE]))
        #expect(got.contentType == "application/json")
        #expect(got.payloadFormatIndicator == 1)
        #expect(got.userProperties == props.userProperties)
    }

    @Test("subscription identifiers are returned with matching messages")
    func subscriptionIdentifiers() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let sub = try await server.client("sub")
        let inbox = Inbox(sub)
        var p1 = Properties(); p1.subscriptionIdentifiers = [11]
        var p2 = Properties(); p2.subscriptionIdentifiers = [22]
        try await sub.subscribe([Subscription(filter: "s/+", qos: .atLeastOnce)], properties: p1)
        try await sub.subscribe([Subscription(filter: "s/#", qos: .atMostOnce)], properties: p2)
        let pub = try await server.client("pub")
        try await pub.publish(topic: "s/x", string: "both", qos: .atLeastOnce)
        let got = try await inbox.next(1)
        #expect(Set(got[0].properties.subscriptionIdentifiers) == [11, 22])
        #expect(got[0].qos == .atLeastOnce, "overlapping subscriptions deliver once at the highest QoS")
        #expect(await inbox.isQuiet())
    }

    @Test("no local: own messages are not echoed")
    func noLocal() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let c = try await server.client("echo")
        let inbox = Inbox(c)
        try await c.subscribe([Subscription(filter: "chat", qos: .atLeastOnce, noLocal: true)])
        try await c.publish(topic: "chat", string: "mine", qos: .atLeastOnce)
        #expect(await inbox.isQuiet())
        let other = try await server.client("other")
        try await other.publish(topic: "chat", string: "theirs", qos: .atLeastOnce)
        #expect(String(buffer: try await inbox.next(1)[0].payload) == "theirs")
    }

    @Test("topic aliases: set once, then used with an empty topic")
    func topicAlias() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let sub = try await server.client("sub")
        let inbox = Inbox(sub)
        try await sub.subscribe([Subscription(filter: "long/topic/name", qos: .atLeastOnce)])
        let raw = try await RawClient.connect(port: server.mqttPort)
        try await raw.send(rawConnect("aliaser", .v5), version: .v5)
        _ = try await raw.waitForPackets(1, .v5)
        var set = Properties(); set.topicAlias = 1
        try await raw.send(
            .publish(PublishPacket(topic: "long/topic/name", payload: ByteBuffer(string: "a"), properties: set)),
            version: .v5)
        try await raw.send(
            .publish(PublishPacket(topic: "", payload: ByteBuffer(string: "b"), properties: set)), version: .v5)
        let got = try await inbox.next(2)
        #expect(got.map(\.topic) == ["long/topic/name", "long/topic/name"])
        var bad = Properties(); bad.topicAlias = 999
        try await raw.send(
            .publish(PublishPacket(topic: "x", payload: ByteBuffer(string: "c"), properties: bad)), version: .v5)
        #expect(try await raw.closedWithReason() == .topicAliasInvalid)
    }

    @Test("a client's maximum packet size: larger messages are not sent to it")
    func clientMaximumPacketSize() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let small = try await server.client("small") { $0.connectProperties.maximumPacketSize = 100 }
        let inbox = Inbox(small)
        try await small.subscribe([Subscription(filter: "m", qos: .atLeastOnce)])
        let pub = try await server.client("pub")
        try await pub.publish(topic: "m", payload: ByteBuffer(repeating: 0x41, count: 500), qos: .atLeastOnce)
        try await pub.publish(topic: "m", string: "fits", qos: .atLeastOnce)
        let got = try await inbox.next(1)
        #expect(String(buffer: got[0].payload) == "fits")
        #expect(await inbox.isQuiet())
    }

    @Test("message expiry: an expired queued message is dropped, the remaining interval is forwarded")
    func messageExpiry() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let sub = try await server.client("sleepy") {
            $0.cleanStart = false
            $0.sessionExpiry = 60
        }
        try await sub.subscribe([Subscription(filter: "e/#", qos: .atLeastOnce)])
        await sub.disconnect()
        let pub = try await server.client("pub")
        var short = Properties(); short.messageExpiryInterval = 1
        var long = Properties(); long.messageExpiryInterval = 100
        try await pub.publish(topic: "e/short", payload: ByteBuffer(string: "s"), qos: .atLeastOnce, properties: short)
        try await pub.publish(topic: "e/long", payload: ByteBuffer(string: "l"), qos: .atLeastOnce, properties: long)
        try await Task.sleep(for: .milliseconds(1100))  // the expiry itself is what is tested
        let back = MQTTClient(
            configuration: {
                var c = server.clientConfig("sleepy"); c.cleanStart = false; c.sessionExpiry = 60; return c
            }())
        let inbox = Inbox(back)
        try await back.connect()
        let got = try await inbox.next(1)
        #expect(got[0].topic == "e/long")
        #expect((got[0].properties.messageExpiryInterval ?? 0) <= 99)
        #expect(await inbox.isQuiet())
    }

    @Test("receive maximum: the broker never has more unacknowledged messages in flight than the client allows")
    func receiveMaximum() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let raw = try await RawClient.connect(port: server.mqttPort)
        var props = Properties(); props.receiveMaximum = 2
        try await raw.send(
            .connect(ConnectPacket(protocolVersion: .v5, clientID: "slow", properties: props)), version: .v5)
        _ = try await raw.waitForPackets(1, .v5)
        try await raw.send(
            .subscribe(SubscribePacket(packetID: 1, subscriptions: [Subscription(filter: "w", qos: .atLeastOnce)])),
            version: .v5)
        _ = try await raw.waitForPackets(2, .v5)
        let pub = try await server.client("pub")
        for i in 0..<5 { try await pub.publish(topic: "w", string: "\(i)", qos: .atLeastOnce) }
        let packets = try await raw.waitForPackets(4, .v5)
        #expect(await (try? raw.waitForPackets(5, .v5, within: 0.3)) == nil, "only 2 in flight before any PUBACK")
        guard case .publish(let first) = packets[2] else { Issue.record("expected PUBLISH"); return }
        try await raw.send(.puback(AckPacket(packetID: first.packetID!)), version: .v5)
        _ = try await raw.waitForPackets(5, .v5)
    }
}

@Suite("Outgoing topic aliases")
struct OutgoingAliasTests {
    @Test("the broker sets a topic alias when the client allows it, and uses it after")
    func serverAliases() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let raw = try await RawClient.connect(port: server.mqttPort)
        var props = Properties(); props.topicAliasMaximum = 1
        try await raw.send(
            .connect(ConnectPacket(protocolVersion: .v5, clientID: "alias-rx", properties: props)), version: .v5)
        try await raw.send(
            .subscribe(SubscribePacket(packetID: 1, subscriptions: [Subscription(filter: "al/#")])), version: .v5)
        _ = try await raw.waitForPackets(2, .v5)
        let pub = try await server.client("pub")
        for topic in ["al/a", "al/a", "al/b", "al/a"] {
            try await pub.publish(topic: topic, string: "x", qos: .atLeastOnce)
        }
        let publishes = try await raw.waitForPackets(6, .v5).compactMap {
            if case .publish(let p) = $0 { p } else { nil }
        }
        #expect(publishes.map(\.topic) == ["al/a", "", "al/b", ""])
        #expect(publishes.map(\.properties.topicAlias) == [1, 1, nil, 1])
        await raw.close()

        // Without a topic alias maximum, no aliases.
        let plain = try await server.client("plain")
        let inbox = Inbox(plain)
        try await plain.subscribe([Subscription(filter: "al/#")])
        try await pub.publish(topic: "al/a", string: "y", qos: .atLeastOnce)
        try await pub.publish(topic: "al/a", string: "z", qos: .atLeastOnce)
        let got = try await inbox.next(2)
        #expect(got.allSatisfy { $0.topic == "al/a" && $0.properties.topicAlias == nil })
    }
}
