import MQTTBroker
import MQTTClient
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import Testing

@Suite("Authorization and authentication hooks")
struct ACLTests {
    static let aclText = """
        # anonymous clients
        topic readwrite #
        topic deny test/nosubscribe

        user alice
        topic read sensors/#
        topic write alice/out

        pattern readwrite clients/%c/#
        pattern write users/%u/#
        """

    @Test("Mosquitto ACL file: denied subscription gets SUBACK 0x80 in 3.1.1 and 0x87 in 5.0")
    func deniedSubscribe() async throws {
        var hooks = BrokerHooks()
        hooks.authorizers = [try ACLFile(contents: Self.aclText)]
        let server = try await TestServer.start(hooks: hooks)
        defer { Task { await server.stop() } }
        let v3 = try await server.client("v3", .v3_1_1)
        #expect(
            try await v3.subscribe([Subscription(filter: "test/nosubscribe"), Subscription(filter: "test/ok")])
                .reasonCodes
                == [.unspecifiedError, .grantedQoS0])
        let v5 = try await server.client("v5", .v5)
        #expect(try await v5.subscribe([Subscription(filter: "test/nosubscribe")]).reasonCodes == [.notAuthorized])
    }

    @Test("ACL rules per user and patterns with %c and %u")
    func userRules() throws {
        let acl = try ACLFile(contents: Self.aclText)
        let alice = ClientInfo(clientID: "dev1", username: "alice")
        #expect(acl.authorize(alice, .subscribe, topic: "sensors/+/temp") == .allow)
        #expect(acl.authorize(alice, .subscribe, topic: "#") == .deny)
        #expect(acl.authorize(alice, .publish, topic: "sensors/1") == .deny)
        #expect(acl.authorize(alice, .publish, topic: "alice/out") == .allow)
        #expect(acl.authorize(alice, .publish, topic: "clients/dev1/x") == .allow)
        #expect(acl.authorize(alice, .publish, topic: "clients/dev2/x") == .deny)
        #expect(acl.authorize(alice, .publish, topic: "users/alice/1") == .allow)
        #expect(acl.authorize(alice, .subscribe, topic: "users/alice/1") == .deny)
        let anon = ClientInfo(clientID: "x")
        #expect(acl.authorize(anon, .publish, topic: "anything") == .allow)
        #expect(acl.authorize(anon, .subscribe, topic: "test/nosubscribe") == .deny)
        #expect(throws: ACLFile.ParseError.self) { try ACLFile(contents: "topic\nbogus line") }
    }

    @Test("denied publish: PUBACK 0x87 in 5.0, silently dropped in 3.1.1")
    func deniedPublish() async throws {
        var hooks = BrokerHooks()
        hooks.authorizers = [try ACLFile(contents: "topic read #\ntopic write allowed/#")]
        let server = try await TestServer.start(hooks: hooks)
        defer { Task { await server.stop() } }
        let sub = try await server.client("sub")
        let inbox = Inbox(sub)
        try await sub.subscribe([Subscription(filter: "#", qos: .atLeastOnce)])
        let v5 = try await server.client("v5")
        await #expect(throws: MQTTClientError.publishFailed(.notAuthorized)) {
            try await v5.publish(topic: "forbidden", string: "x", qos: .atLeastOnce)
        }
        let v3 = try await server.client("v3", .v3_1_1)
        let ack = try await v3.publish(topic: "forbidden", string: "x", qos: .atLeastOnce)
        #expect(ack?.reasonCode == .success)
        #expect(await inbox.isQuiet())
        try await v3.publish(topic: "allowed/1", string: "ok", qos: .atLeastOnce)
        #expect(try await inbox.next(1)[0].topic == "allowed/1")
    }

    struct PasswordCheck: MQTTAuthenticator {
        func authenticate(_ request: AuthenticationRequest) async -> AuthenticationResult {
            guard let user = request.username else { return .ignore }
            return user == "good" && request.password == Array("secret".utf8)
                ? .allow(attributes: ["role": "device"]) : .deny()
        }
    }

    @Test("authenticators: bad credentials get 0x86 / return code 4; anonymous follows allowAnonymous")
    func authentication() async throws {
        var hooks = BrokerHooks()
        hooks.authenticators = [PasswordCheck()]
        var config = BrokerConfiguration()
        config.allowAnonymous = false
        let server = try await TestServer.start(configuration: config, hooks: hooks)
        defer { Task { await server.stop() } }
        let good = try await server.client("g") {
            $0.username = "good"; $0.password = "secret"
        }
        #expect(good.isConnected)
        let bad = MQTTClient(
            configuration: {
                var c = server.clientConfig("b"); c.username = "good"; c.password = "nope"; return c
            }())
        await #expect(throws: MQTTClientError.connectionRefused(.badUserNameOrPassword)) { try await bad.connect() }
        let badV3 = MQTTClient(
            configuration: {
                var c = server.clientConfig("b3", .v3_1_1); c.username = "x"; c.password = "y"; return c
            }())
        await #expect(throws: MQTTClientError.connectionRefused(.badUserNameOrPassword)) { try await badV3.connect() }
        let anon = MQTTClient(configuration: server.clientConfig("anon"))
        await #expect(throws: MQTTClientError.connectionRefused(.notAuthorized)) { try await anon.connect() }
    }

    final class Recorder: MQTTObserver, MQTTInterceptor {
        let events = NIOLockedValueBoxWrapper()
        func clientConnected(_ client: ClientInfo) { events.append("connected \(client.clientID)") }
        func clientDisconnected(_ client: ClientInfo, reason: DisconnectReason) {
            events.append("disconnected \(client.clientID)")
        }
        func intercept(_ message: Message, from client: ClientInfo) -> InterceptResult {
            if message.topic == "blocked" { return .reject(.payloadFormatInvalid) }
            if message.topic == "rewrite" {
                return .accept(
                    Message(
                        topic: "rewritten", payload: message.payload, qos: message.qos, retain: false,
                        publisherID: client.clientID))
            }
            return .accept(message)
        }
    }

    @Test("interceptors rewrite or reject; observers see connects and disconnects")
    func interceptAndObserve() async throws {
        let recorder = Recorder()
        var hooks = BrokerHooks()
        hooks.interceptors = [recorder]
        hooks.observers = [recorder]
        let server = try await TestServer.start(hooks: hooks)
        defer { Task { await server.stop() } }
        let sub = try await server.client("sub")
        let inbox = Inbox(sub)
        try await sub.subscribe([Subscription(filter: "#", qos: .atLeastOnce)])
        let pub = try await server.client("pub")
        await #expect(throws: MQTTClientError.publishFailed(.payloadFormatInvalid)) {
            try await pub.publish(topic: "blocked", string: "x", qos: .atLeastOnce)
        }
        try await pub.publish(topic: "rewrite", string: "y", qos: .atLeastOnce)
        #expect(try await inbox.next(1)[0].topic == "rewritten")
        await pub.disconnect()
        try await eventually("disconnect event") { recorder.events.all.contains("disconnected pub") }
        #expect(recorder.events.all.contains("connected sub"))
    }
}

/// A thread-safe list of strings for observers in tests.
final class NIOLockedValueBoxWrapper: Sendable {
    private let box = NIOLockedValueBox<[String]>([])
    func append(_ s: String) { box.withLockedValue { $0.append(s) } }
    var all: [String] { box.withLockedValue { $0 } }
}
