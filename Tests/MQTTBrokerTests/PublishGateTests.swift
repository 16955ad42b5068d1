import Foundation
import MQTTBroker
import MQTTClient
import MQTTCore
import NIOCore
import RoostCore
import RoostStore
import SQLiteNIO
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Every publish passes the broker's gate — authorizers, then interceptors — whichever way it
/// comes in: an MQTT socket, MQTT over WebSocket, HTTP ingest, or the in-process client.
@Suite("The publish gate on every path")
struct PublishGateTests {
    /// Refuses payloads that contain `blocked` with Quota Exceeded (0x97).
    struct Blocker: MQTTInterceptor {
        func intercept(_ message: Message, from client: ClientInfo) -> InterceptResult {
            String(buffer: message.payload).contains("blocked") ? .reject(.quotaExceeded) : .accept(message)
        }
    }

    /// A server with the interceptor and an ACL that lets other clients anywhere but `acl/denied`.
    static func start() async throws -> TestServer {
        var hooks = BrokerHooks()
        hooks.interceptors = [Blocker()]
        hooks.authorizers = [try ACLFile(contents: "topic readwrite #\ntopic deny acl/denied\n")]
        return try await TestServer.start(hooks: hooks)
    }

    @Test("MQTT over TCP and over WebSocket: the interceptor and the ACL answer in PUBACK", arguments: [false, true])
    func mqtt(_ webSocket: Bool) async throws {
        let server = try await Self.start()
        defer { Task { await server.stop() } }
        let sub = try await server.client("watcher")
        let inbox = Inbox(sub)
        try await sub.subscribe([Subscription(filter: "#", qos: .atLeastOnce)])
        let pub = try await server.client("pub") {
            if webSocket {
                $0.port = server.httpPort
                $0.webSocketPath = "/mqtt"
            }
        }
        await #expect(throws: MQTTClientError.publishFailed(.quotaExceeded)) {
            try await pub.publish(topic: "any/topic", string: "this is blocked", qos: .atLeastOnce)
        }
        await #expect(throws: MQTTClientError.publishFailed(.notAuthorized)) {
            try await pub.publish(topic: "acl/denied", string: "fine", qos: .atLeastOnce)
        }
        try await pub.publish(topic: "any/topic", string: "fine", qos: .atLeastOnce)
        let got = try await inbox.next(1)
        #expect(got.map(\.topic) == ["any/topic"] && String(buffer: got[0].payload) == "fine")
        #expect(await inbox.isQuiet())
    }

    @Test("the in-process client: a named client is held to the ACL, the server's own identity only to interceptors")
    func inline() async throws {
        let server = try await Self.start()
        defer { Task { await server.stop() } }
        let sub = try await server.client("watcher")
        let inbox = Inbox(sub)
        try await sub.subscribe([Subscription(filter: "#", qos: .atLeastOnce)])
        let bridge = ClientInfo(clientID: "bridge", listener: "inline")
        let denied = server.broker.publish(topic: "acl/denied", payload: ByteBuffer(string: "x"), from: bridge)
        guard case .rejected(let code) = denied else { Issue.record("ACL not applied: \(denied)"); return }
        #expect(code == .notAuthorized)
        let blocked = server.broker.publish(topic: "in/1", payload: ByteBuffer(string: "blocked"))
        guard case .rejected(let reason) = blocked else { Issue.record("interceptor skipped: \(blocked)"); return }
        #expect(reason == .quotaExceeded)
        // The server itself is a superuser: authorizers let it through, interceptors still run.
        guard case .routed = server.broker.publish(topic: "acl/denied", payload: ByteBuffer(string: "server")) else {
            Issue.record("the server's own publish was refused")
            return
        }
        let got = try await inbox.next(1)
        #expect(got.map(\.topic) == ["acl/denied"] && String(buffer: got[0].payload) == "server")
        #expect(await inbox.isQuiet())
    }

    @Test("HTTP ingest: a refused item refuses the whole request (403) and nothing is stored")
    func http() async throws {
        let server = try await Self.start()
        defer { Task { await server.stop() } }
        let (_, credentials) = try await server.app.stores.api.issueCredentials(
            for: DeviceKey(tenant: "t0", uid: "http-dev"), now: 0)
        let sub = try await server.client("watcher")
        let inbox = Inbox(sub)
        try await sub.subscribe([Subscription(filter: "t0/devices/+/telemetry", qos: .atLeastOnce)])

        let single = try await Self.post(server, "/api/v1/ingest", #"{"msg_id":"a","data":{"note":"blocked"}}"#, credentials.apiKey)
        #expect(single.status == 403 && single.code == "rejected", "\(single)")
        let batch = try await Self.post(
            server, "/api/v1/ingest/batch", #"[{"msg_id":"b","data":{"v":1}},{"msg_id":"c","note":"blocked"}]"#,
            credentials.apiKey)
        #expect(batch.status == 403 && batch.code == "rejected" && batch.index == "1", "\(batch)")
        #expect(await inbox.isQuiet())
        let accepted = try await Self.post(server, "/api/v1/ingest", #"{"msg_id":"d","data":{"v":2}}"#, credentials.apiKey)
        #expect(accepted.status == 202, "\(accepted)")
        let got = try await inbox.next(1)
        #expect(got[0].topic == "t0/devices/http-dev/telemetry")

        let db = try await SQLiteConnection.open(storage: .file(path: server.app.configuration.dataDir + "/roost.sqlite"))
        let rows = try await db.query("SELECT msg_id FROM telemetry ORDER BY msg_id", [])
        try await db.close()
        #expect(rows.compactMap { $0.column("msg_id")?.string } == ["d"])
    }

    struct Reply: CustomStringConvertible {
        var status: Int
        var code: String?
        var index: String?
        var body: String
        var description: String { "\(status) \(body)" }
    }

    static func post(_ server: TestServer, _ path: String, _ body: String, _ key: String) async throws -> Reply {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(server.httpPort)\(path)")!)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(key, forHTTPHeaderField: "X-API-Key")
        let (data, response) = try await URLSession.shared.data(for: request)
        let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        let error = json?["error"] as? [String: Any]
        return Reply(
            status: (response as! HTTPURLResponse).statusCode, code: error?["code"] as? String,
            index: (error?["details"] as? [String: Any])?["index"] as? String, body: String(decoding: data, as: UTF8.self))
    }
}
