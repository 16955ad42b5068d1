import MQTTBroker
import MQTTClient
import MQTTCore
import NIOCore
import Testing

@Suite("Publish and subscribe")
struct PubSubTests {
    @Test("QoS 0, 1 and 2 delivered with wildcards", arguments: [ProtocolVersion.v3_1_1, .v5])
    func qosLevels(_ version: ProtocolVersion) async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let sub = try await server.client("sub", version)
        let inbox = Inbox(sub)
        let suback = try await sub.subscribe([
            Subscription(filter: "sensors/+/temp", qos: .exactlyOnce),
            Subscription(filter: "alerts/#", qos: .atLeastOnce),
        ])
        #expect(suback.reasonCodes == [.grantedQoS2, .grantedQoS1])
        let pub = try await server.client("pub", version)
        try await pub.publish(topic: "sensors/a/temp", string: "q0", qos: .atMostOnce)
        try await pub.publish(topic: "sensors/b/temp", string: "q1", qos: .atLeastOnce)
        try await pub.publish(topic: "sensors/c/temp", string: "q2", qos: .exactlyOnce)
        try await pub.publish(topic: "alerts", string: "parent", qos: .exactlyOnce)
        try await pub.publish(topic: "alerts/x/y", string: "downgraded", qos: .exactlyOnce)
        try await pub.publish(topic: "sensors/a/humidity", string: "nobody", qos: .atLeastOnce)
        let got = try await inbox.next(5)
        #expect(got.map { String(buffer: $0.payload) } == ["q0", "q1", "q2", "parent", "downgraded"])
        #expect(got.map(\.qos) == [.atMostOnce, .atLeastOnce, .exactlyOnce, .atLeastOnce, .atLeastOnce])
        #expect(await inbox.isQuiet())
        await pub.disconnect()
        await sub.disconnect()
    }

    @Test("retained messages: set, replace, clear, retain handling and retain-as-published")
    func retained() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let pub = try await server.client("pub")
        try await pub.publish(topic: "r/1", string: "first", qos: .atLeastOnce, retain: true)
        try await pub.publish(topic: "r/1", string: "second", qos: .atLeastOnce, retain: true)
        try await pub.publish(topic: "r/2", string: "other", qos: .atLeastOnce, retain: true)
        try await pub.publish(topic: "r/2", string: "", qos: .atLeastOnce, retain: true)

        let sub = try await server.client("sub")
        let inbox = Inbox(sub)
        try await sub.subscribe([Subscription(filter: "r/#", qos: .atLeastOnce)])
        let got = try await inbox.next(1)
        #expect(String(buffer: got[0].payload) == "second")
        #expect(got[0].retain, "a retained message sent on subscribe keeps the retain flag")
        #expect(await inbox.isQuiet(), "the cleared topic must not be delivered")

        // Live publishes lose the retain flag unless retain-as-published is set.
        try await pub.publish(topic: "r/3", string: "live", qos: .atLeastOnce, retain: true)
        #expect(try await inbox.next(1)[0].retain == false)
        let rap = try await server.client("rap")
        let rapInbox = Inbox(rap)
        try await rap.subscribe([
            Subscription(filter: "r/3", qos: .atLeastOnce, retainAsPublished: true, retainHandling: .never)
        ])
        #expect(await rapInbox.isQuiet(), "retain handling 2 sends no retained message")
        try await pub.publish(topic: "r/3", string: "again", qos: .atLeastOnce, retain: true)
        #expect(try await rapInbox.next(1)[0].retain == true)

        // Retain handling 1: only for a new subscription.
        let rh1 = try await server.client("rh1")
        let rh1Inbox = Inbox(rh1)
        try await rh1.subscribe([Subscription(filter: "r/1", qos: .atMostOnce, retainHandling: .sendIfNew)])
        #expect(try await rh1Inbox.next(1).count == 1)
        try await rh1.subscribe([Subscription(filter: "r/1", qos: .atMostOnce, retainHandling: .sendIfNew)])
        #expect(await rh1Inbox.isQuiet())
        #expect(server.broker.retainedCount >= 2)
    }

    @Test("$SYS topics are published and not matched by a leading #")
    func sysTopics() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let sub = try await server.client("sys")
        let inbox = Inbox(sub)
        try await sub.subscribe([Subscription(filter: "$SYS/broker/clients/connected")])
        // The retained value may predate this client; a later update counts it.
        try await eventually("a $SYS update counting this client") {
            inbox.all.contains { Int(String(buffer: $0.payload)) ?? 0 >= 1 }
        }
        let all = try await server.client("all")
        let allInbox = Inbox(all)
        try await all.subscribe([Subscription(filter: "#")])
        #expect(await allInbox.isQuiet(for: 0.5))
    }

    @Test("shared subscription: each message goes to one member of the group")
    func shared() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let a = try await server.client("a")
        let b = try await server.client("b", .v3_1_1)
        let inboxA = Inbox(a)
        let inboxB = Inbox(b)
        try await a.subscribe([Subscription(filter: "$share/workers/jobs/#", qos: .atLeastOnce)])
        try await b.subscribe([Subscription(filter: "$share/workers/jobs/#", qos: .atLeastOnce)])
        let pub = try await server.client("pub")
        for i in 0..<10 { try await pub.publish(topic: "jobs/\(i)", string: "\(i)", qos: .atLeastOnce) }
        try await eventually("10 deliveries") { inboxA.all.count + inboxB.all.count == 10 }
        #expect(inboxA.all.count == 5 && inboxB.all.count == 5)
        let payloads = Set((inboxA.all + inboxB.all).map { String(buffer: $0.payload) })
        #expect(payloads.count == 10)
    }

    @Test("unsubscribe stops delivery")
    func unsubscribe() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let sub = try await server.client("sub")
        let inbox = Inbox(sub)
        try await sub.subscribe([Subscription(filter: "u/#")])
        let unsuback = try await sub.unsubscribe(["u/#", "never/subscribed"])
        #expect(unsuback.reasonCodes == [.success, .noSubscriptionExisted])
        let pub = try await server.client("pub")
        try await pub.publish(topic: "u/1", string: "x", qos: .atLeastOnce)
        #expect(await inbox.isQuiet())
    }
}

@Suite("Inline client")
struct InlineClientTests {
    @Test("in-process subscribe sees network publishes; in-process publish reaches network subscribers")
    func inline() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let inline = server.broker.subscribe(["in/#"])
        let net = try await server.client("net")
        let inbox = Inbox(net)
        try await net.subscribe([Subscription(filter: "out/#", qos: .atLeastOnce)])
        try await net.publish(topic: "in/1", string: "to the server", qos: .atLeastOnce)
        let received = try await withDeadline {
            var it = inline.makeAsyncIterator()
            return await it.next()
        }
        #expect(received?.topic == "in/1" && received?.qos == .atLeastOnce)
        server.broker.publish(topic: "out/1", payload: ByteBuffer(string: "from the server"), qos: .atLeastOnce)
        #expect(String(buffer: try await inbox.next(1)[0].payload) == "from the server")
        let sessions = server.broker.sessionCount
        inline.cancel()
        #expect(server.broker.sessionCount == sessions - 1)
    }
}

/// Runs `body`, failing after `seconds`.
func withDeadline<T: Sendable>(_ seconds: Double = 5, _ body: @escaping @Sendable () async throws -> T) async throws
    -> T
{
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw TimedOut(what: "inline delivery") }
        return value
    }
}
