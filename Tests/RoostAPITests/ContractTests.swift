import Foundation
import Hummingbird
import MQTTBroker
import RoostAPI
import RoostCore
import RoostSQLite
import Testing

/// The API's contract: the OpenAPI document matches the routes, every error has one shape,
/// and no tenant sees another's objects.
@Suite("API: contract")
struct ContractTests {
    @Test("tenant isolation: every route with another tenant's objects answers 404", arguments: StoreKind.allCases)
    func isolation(_ kind: StoreKind) async throws {
        let server = try await APITestServer.start(kind)
        defer { Task { await server.stop() } }
        let admin = server.http()
        var tenants: [String: Int] = [:]
        for name in ["a", "b"] {
            tenants[name] = try #require(try await admin.post("/api/v1/tenants", ["name": name]).json["id"] as? Int)
            #expect(
                try await admin.post(
                    "/api/v1/users",
                    [
                        "email": "admin@\(name).io", "password": "password-1", "role": "tenant_admin",
                        "tenant_id": tenants[name]!,
                    ]
                ).status == 201)
        }
        let a = server.http(try await server.login("admin@a.io", "password-1"))
        let b = server.http(try await server.login("admin@b.io", "password-1"))
        let bDevice = try #require(try await b.post("/api/v1/devices", ["uid": "secret-pump"]).json["id"] as? Int)
        _ = try await a.post("/api/v1/devices", ["uid": "own-pump"])
        let bUser = try #require(try await b.get("/api/v1/me").json["id"] as? Int)
        let bKey = try #require(try await b.post("/api/v1/me/api-keys", ["name": "k"]).json["id"] as? Int)
        let bCommand = try #require(
            try await b.post("/api/v1/devices/secret-pump/commands", ["command": "reboot"]).json["id"] as? String)
        let bRule = try #require(
            try await b.post("/api/v1/alert-rules", ["name": "gone", "kind": "offline", "after_s": 60]).json["id"] as? Int)
        let bSchedule = try #require(
            try await b.post("/api/v1/schedules", ["device": "secret-pump", "command": "ping", "every_s": 3600]).json["id"]
                as? Int)
        let bAlert = try #require(
            try await server.app.stores.api.openAlert(
                ruleID: Int64(bRule), deviceID: Int64(bDevice), value: nil, at: 1_700_000_000_000)?.id)

        var walked = 0
        for operation in OpenAPIDocument.operations where operation.contains("{") {
            let parts = operation.split(separator: " ", maxSplits: 1)
            let (method, template) = (String(parts[0]), String(parts[1]))
            var refs: [String] = []
            if template.contains("{ref}") {
                refs = ["\(bDevice)", "secret-pump"]
            } else if template.hasPrefix("/api/v1/tenants/") {
                refs = ["\(tenants["b"]!)"]
            } else if template.hasPrefix("/api/v1/users/") {
                refs = ["\(bUser)"]
            } else if template.hasPrefix("/api/v1/me/api-keys/") {
                refs = ["\(bKey)"]
            } else if template.hasPrefix("/api/v1/commands/") {
                refs = [bCommand]
            } else if template.hasPrefix("/api/v1/alert-rules/") {
                refs = ["\(bRule)"]
            } else if template.hasPrefix("/api/v1/schedules/") {
                refs = ["\(bSchedule)"]
            } else if template.hasPrefix("/api/v1/alerts/") {
                refs = ["\(bAlert)"]
            }
            #expect(!refs.isEmpty, "no object of tenant b for \(operation)")
            for ref in refs {
                let path = template.replacingOccurrences(of: "{ref}", with: ref).replacingOccurrences(
                    of: "{id}", with: ref)
                let body: Data? = method == "POST" || method == "PATCH" ? Data(#"{"name":"x"}"#.utf8) : nil
                let reply = try await a.request(method, path + "?keys=temp&tenant=b", body: body)
                #expect(
                    reply.status == 404 && reply.errorCode == "not_found",
                    "\(operation) as tenant a: \(reply.status) \(reply.text)")
                walked += 1
            }
        }
        #expect(walked >= 20)
        // Lists and counts stay within the caller's tenant whatever it asks for.
        #expect(try await a.get("/api/v1/devices?tenant=b").items.compactMap { $0["uid"] as? String } == ["own-pump"])
        #expect(
            try await a.get("/api/v1/users?tenant_id=\(tenants["b"]!)").items.allSatisfy {
                $0["tenant_id"] as? Int == tenants["a"]
            })
        #expect(try await a.get("/api/v1/tenants").items.compactMap { $0["name"] as? String } == ["a"])
        #expect(try await a.get("/api/v1/stats?tenant=b").json["devices_total"] as? Int == 1)
        // And b's device and command are untouched.
        #expect(try await b.get("/api/v1/commands/\(bCommand)").json["status"] as? String == "queued")
        #expect(try await b.get("/api/v1/devices/secret-pump").status == 200)
        #expect(try await b.get("/api/v1/alerts/\(bAlert)").json["state"] as? String == "open")
        #expect(try await a.get("/api/v1/alerts").items.isEmpty)
        #expect(try await a.get("/api/v1/alert-rules").items.isEmpty)
        #expect(try await a.get("/api/v1/schedules").items.isEmpty)
    }

    @Test("the OpenAPI document lists exactly the routes the server registers")
    func openAPIMatchesRoutes() async throws {
        let server = try await APITestServer.start(.sqlite)
        defer { Task { await server.stop() } }
        let reply = try await server.http().get("/openapi.json")
        #expect(reply.json["openapi"] as? String == "3.1.0")
        let documented = Set(
            ((reply.json["paths"] as? [String: [String: Any]]) ?? [:]).flatMap { path, ops in
                ops.keys.map { "\($0.uppercased()) \(path)" }
            })
        // The routes as registered: the API's recorded routes plus the fixed ones.
        let recorder = RouteRecorder()
        let broker = Broker(configuration: .init(), hooks: .init(), logger: APITestServer.logger)
        var api = RoostAPI(
            store: server.store, tokens: await TokenService.make(secret: Array(repeating: 1, count: 32)), broker: broker
        )
        api.brokerAccess = BrokerAccessService(credentials: server.app.stores.credentials, layout: try TopicLayout(presets: ["default"]))
        _ = try HTTPServer.makeApplication(
            broker: broker, configuration: .init(port: 0), logger: APITestServer.logger, api: api, routes: recorder)
        let fixed = [
            "GET /health", "GET /ready", "GET /metrics", "GET /openapi.json", "GET /docs", "POST /api/v1/ingest",
            "POST /api/v1/ingest/batch",
        ]
        let registered = Set(recorder.routes + fixed)
        #expect(
            registered.subtracting(documented).isEmpty, "undocumented: \(registered.subtracting(documented).sorted())")
        #expect(
            documented.subtracting(registered).isEmpty,
            "documented but missing: \(documented.subtracting(registered).sorted())")
        // The fixed ones really answer (not 404).
        for route in fixed where route.hasPrefix("GET") {
            #expect(try await server.http().get(String(route.dropFirst(4))).status == 200, "\(route)")
        }
        let docs = try await server.http().get("/docs")
        #expect(docs.text.contains("/openapi.json") && !docs.text.contains("https://"))
    }

    @Test("bad input gets 4xx in one error shape, never 5xx")
    func errors() async throws {
        let server = try await APITestServer.start(.sqlite)
        defer { Task { await server.stop() } }
        let admin = server.http()
        let cases: [(String, String, Data?, Int)] = [
            ("GET", "/api/v1/nowhere", nil, 404),
            ("POST", "/api/v1/devices", Data("{not json".utf8), 400),
            ("POST", "/api/v1/devices", Data("[1,2]".utf8), 400),
            ("POST", "/api/v1/devices", Data(#"{"uid":5}"#.utf8), 422),
            ("POST", "/api/v1/devices", Data(#"{"uid":"a/b"}"#.utf8), 422),
            ("POST", "/api/v1/devices", Data(#"{"uid":"x","labels":{"k":1}}"#.utf8), 422),
            ("POST", "/api/v1/users", Data(#"{"email":"x@y.z","password":"short"}"#.utf8), 422),
            (
                "POST", "/api/v1/users",
                Data(#"{"email":"x@y.z","password":"long-enough","role":"viewer","tenant_id":1e300}"#.utf8), 422
            ),
            ("POST", "/api/v1/tenants", Data(String(repeating: "x", count: 2 << 20).utf8), 413),
            ("GET", "/api/v1/devices?limit=0", nil, 400),
            ("GET", "/api/v1/devices?status=sleepy", nil, 400),
            ("GET", "/api/v1/devices/nope", nil, 404),
            ("GET", "/api/v1/users/abc", nil, 400),
            ("DELETE", "/api/v1/health", nil, 404),
        ]
        for (method, path, body, status) in cases {
            let reply = try await admin.request(method, path, body: body)
            #expect(reply.status == status, "\(method) \(path): \(reply.status) \(reply.text.prefix(200))")
            let error = reply.json["error"] as? [String: Any]
            #expect(
                error?["code"] is String && error?["message"] is String && error?["details"] is [String: Any],
                "\(reply.text.prefix(200))")
            #expect(reply.headers["x-request-id"] != nil)
        }
        _ = try await admin.post("/api/v1/devices", ["uid": "d"])
        for query in [
            "keys=t&from=yesterday", "keys=t&bucket=0m", "keys=t&bucket=99999999999999999d", "keys=%22", "fn=avg",
            "keys=t&fn=median",
            "keys=t&from=-99999999999999999999", "keys=t&from=2&to=1",
        ] {
            let reply = try await admin.get("/api/v1/devices/d/aggregate?\(query)")
            #expect(reply.status == 400, "\(query): \(reply.status) \(reply.text)")
        }
        #expect(try await admin.get("/api/v1/devices/d/telemetry?cursor=zz").status == 400)
    }
}
