import Foundation
import HTTPTypes
import Hummingbird
public import MQTTBroker
import MQTTHooks
import NIOCore
public import RoostCore
import RoostJSON

/// Device logins and topic access for an external broker, over HTTP:
/// - EMQX 5's HTTP authentication and authorization: `POST /api/v1/broker/auth
///   {"username","password","clientid"}` and `POST /api/v1/broker/acl
///   {"username","clientid","topic","action":"publish"|"subscribe"}`, each answered 200
///   `{"result":"allow"|"deny"}` (with `"is_superuser":false` for auth);
/// - mosquitto-go-auth's HTTP backend: `POST /api/v1/broker/mosquitto/user`, `/superuser` and
///   `/acl` (`acc` 1 read, 2 write, 3 read and write, 4 subscribe), answered 200 `{"ok":true}`
///   to allow and 403 `{"ok":false,"error"}` to deny, which its `status` and `json` response
///   modes both read. JSON or form bodies.
///
/// The caller is the broker: with `broker_auth.token` set it must send `Authorization: Bearer
/// TOKEN`; without, only loopback callers are answered. Failed logins count against the login
/// throttle by user name and, when the broker passes it (`peerhost`), the device's address.
public struct BrokerAuthRoutes: Sendable {
    let access: BrokerAccessService
    let throttle: LoginThrottle
    let token: String?

    public init(access: BrokerAccessService, throttle: LoginThrottle, token: String?) {
        self.access = access
        self.throttle = throttle
        self.token = token
    }

    func register(on router: Router<RoostRequestContext>, recorder: RouteRecorder) {
        for path in ["auth", "acl", "mosquitto/user", "mosquitto/superuser", "mosquitto/acl"] {
            recorder.add("POST", "/api/v1/broker/\(path)")
        }
        router.post("/api/v1/broker/auth") { request, context in
            let form = try await caller(request, context)
            let verdict = try await authenticate(form)
            return Self.emqx(verdict, superuser: true)
        }
        router.post("/api/v1/broker/acl") { request, context in
            let form = try await caller(request, context)
            let action: AuthorizationAction
            switch form["action"] {
            case "publish": action = .publish
            case "subscribe": action = .subscribe
            default: throw APIError.invalid("action must be publish or subscribe", field: "action")
            }
            guard let topic = form["topic"], !topic.isEmpty else { throw APIError.invalid("topic is required", field: "topic") }
            return Self.emqx(try await access.authorize(username: form["username"], action: action, topic: topic), superuser: false)
        }
        router.post("/api/v1/broker/mosquitto/user") { request, context in
            Self.goAuth(try await authenticate(try await caller(request, context)))
        }
        router.post("/api/v1/broker/mosquitto/superuser") { request, context in
            _ = try await caller(request, context)
            return Self.goAuth(.deny("devices are never superusers"))
        }
        router.post("/api/v1/broker/mosquitto/acl") { request, context in
            let form = try await caller(request, context)
            guard let topic = form["topic"], !topic.isEmpty else { throw APIError.invalid("topic is required", field: "topic") }
            let username = form["username"]
            switch form["acc"] {
            case "2": return Self.goAuth(try await access.authorize(username: username, action: .publish, topic: topic))
            case "1", "4": return Self.goAuth(try await access.authorize(username: username, action: .subscribe, topic: topic))
            case "3":
                let publish = try await access.authorize(username: username, action: .publish, topic: topic)
                let subscribe = try await access.authorize(username: username, action: .subscribe, topic: topic)
                return Self.goAuth(publish == .allow && subscribe == .allow ? .allow : .deny("not both"))
            default: throw APIError.invalid("acc must be 1, 2, 3 or 4", field: "acc")
            }
        }
    }

    private func authenticate(_ form: [String: String]) async throws -> BrokerAccessService.Verdict {
        let address = form["peerhost"] ?? form["ip"]
        if let left = throttle.blocked(address: address) {
            return .deny("too many failed logins from \(address ?? "-"); retry in \(Int(left.rounded(.up))) s")
        }
        let verdict = try await access.authenticate(username: form["username"], password: form["password"])
        switch verdict {
        case .allow: throttle.succeeded(name: form["username"])
        case .deny: _ = throttle.failed(address: address, name: form["username"])
        }
        return verdict
    }

    /// Checks the caller and reads the body's fields (JSON object or form).
    private func caller(_ request: Request, _ context: RoostRequestContext) async throws -> [String: String] {
        if let token {
            let given = request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
            guard let given, Self.same(given, token) else {
                throw APIError(.unauthorized, "unauthorized", "the broker must send Authorization: Bearer <broker_auth.token>")
            }
        } else if !["127.0.0.1", "::1"].contains(context.remoteAddress) {
            throw APIError(
                .forbidden, "forbidden", "set broker_auth.token to answer brokers that are not on this host")
        }
        let body = try await request.body.collect(upTo: 16 << 10)
        let type = request.headers[.contentType] ?? ""
        if type.hasPrefix("application/x-www-form-urlencoded") {
            var fields: [String: String] = [:]
            for pair in String(buffer: body).split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map {
                    String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String($0)
                }
                if let key = parts.first { fields[key] = parts.count > 1 ? parts[1] : "" }
            }
            return fields
        }
        guard case .object(let members)? = try? JSONParser.parse(body.readableBytesView) else {
            throw APIError.badRequest("the body must be a JSON object (or a form)")
        }
        var fields: [String: String] = [:]
        for member in members {
            switch member.value {
            case .string(let text): fields[member.key] = text
            case .number(let n): fields[member.key] = n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n)
            default: continue
            }
        }
        return fields
    }

    static func emqx(_ verdict: BrokerAccessService.Verdict, superuser: Bool) -> Response {
        var members = [JSONMember("result", .string(verdict == .allow ? "allow" : "deny"))]
        if superuser { members.append(JSONMember("is_superuser", .bool(false))) }
        return Response.json(.object(members))
    }

    static func goAuth(_ verdict: BrokerAccessService.Verdict) -> Response {
        switch verdict {
        case .allow: return Response.json(.object([JSONMember("ok", .bool(true))]))
        case .deny(let why):
            return Response.json(
                .object([JSONMember("ok", .bool(false)), JSONMember("error", .string(why))]), status: .forbidden)
        }
    }

    /// Constant-time comparison of two tokens.
    static func same(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for (p, q) in zip(x, y) { difference |= p ^ q }
        return difference == 0
    }
}
