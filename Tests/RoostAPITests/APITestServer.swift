import Foundation
import Logging
import MQTTBroker
import MQTTClient
import PostgresNIO
import RoostAPI
import RoostCore
import RoostPostgres
import RoostServer
import RoostStore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Which store the API runs on.
enum StoreKind: String, CaseIterable, CustomStringConvertible, Sendable {
    case sqlite, postgres
    var description: String { rawValue }
}

/// Roost assembled in-process as `roost serve` assembles it (``buildApplication``: broker
/// with device auth, ingest, API on a real HTTP port) over a fresh SQLite file or PostgreSQL
/// schema, with a platform admin.
final class APITestServer: Sendable {
    let app: RoostApplication
    let httpPort: Int
    let mqttPort: Int
    let adminToken: String
    private let task: Task<Void, any Error>
    private let cleanup: @Sendable () async -> Void

    var store: any APIStore { app.stores.api }

    static let logger: Logger = {
        var l = Logger(label: "api-test")
        l.logLevel =
            ProcessInfo.processInfo.environment["ROOST_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
        return l
    }()
    static let adminEmail = "admin@test.io"
    static let adminPassword = "admin-password-1"

    private init(
        app: RoostApplication, httpPort: Int, mqttPort: Int, adminToken: String, task: Task<Void, any Error>,
        cleanup: @escaping @Sendable () async -> Void
    ) {
        self.app = app
        self.httpPort = httpPort
        self.mqttPort = mqttPort
        self.adminToken = adminToken
        self.task = task
        self.cleanup = cleanup
    }

    static func start(
        _ kind: StoreKind, writers: Int = 1, historyCacheBytes: Int = 64 << 20,
        realtime: RealtimeConfiguration = .init(), commands: CommandSettings = .init(),
        configure: (inout RoostConfiguration) -> Void = { _ in }
    ) async throws -> APITestServer {
        var config = RoostConfiguration()
        config.realtime = realtime
        config.commands = commands
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("roost-api-\(UUID().uuidString)")
        config.dataDir = dir.path
        var schemaDrop: (@Sendable () async -> Void)?
        if kind == .postgres {
            guard let url = ProcessInfo.processInfo.environment["ROOST_TEST_POSTGRES_URL"] else {
                throw SetupError(
                    "ROOST_TEST_POSTGRES_URL is not set: run the tests with scripts/test, which starts PostgreSQL")
            }
            let schema = "api_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            let admin = try PostgresStore(url: url, logger: logger)
            let adminTask = Task { await admin.run() }
            try await admin.client.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"), logger: logger)
            config.database = url
            config.postgresSearchPath = String(schema)
            schemaDrop = {
                _ = try? await admin.client.query(
                    PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"), logger: logger)
                adminTask.cancel()
            }
        }
        config.mqttPort = 0
        config.httpPort = 0
        config.ingest.writers = writers
        config.ingest.batchSize = 200
        config.broker.sysInterval = 0
        config.rollupInterval = 0
        config.historyCacheBytes = historyCacheBytes
        config.jwtSecret = "a-test-secret-of-at-least-32-bytes!!"
        config.bcryptCost = 4
        config.adminEmail = adminEmail
        config.adminPassword = adminPassword
        configure(&config)
        let dropSchema = schemaDrop
        let cleanup: @Sendable () async -> Void = {
            await dropSchema?()
            try? FileManager.default.removeItem(at: dir)
        }
        return try await launch(config, cleanup: cleanup)
    }

    /// Stops this server gracefully and starts another on the same store (new ports): what a
    /// restart of `roost serve` keeps, the new one has. `whileDown` runs between the two (e.g.
    /// to move an injected clock while no server runs).
    func restarted(whileDown: () -> Void = {}) async throws -> APITestServer {
        await app.shutdown()
        _ = try? await task.value
        whileDown()
        return try await Self.launch(app.configuration, cleanup: cleanup)
    }

    private static func launch(_ config: RoostConfiguration, cleanup: @escaping @Sendable () async -> Void)
        async throws -> APITestServer
    {
        let app: RoostApplication
        do {
            app = try await buildApplication(config, logger: logger)
        } catch {
            await cleanup()
            throw error
        }
        let task = Task { try await app.run() }
        let httpPort = try await app.httpPort()
        let login = try await HTTP(port: httpPort).post(
            "/api/v1/auth/login", ["email": adminEmail, "password": adminPassword])
        guard login.status == 200, let token = login.json["access_token"] as? String else {
            throw SetupError("admin login failed: \(login.text)")
        }
        return APITestServer(
            app: app, httpPort: httpPort, mqttPort: (try? await app.mqttPort()) ?? 0, adminToken: token, task: task,
            cleanup: cleanup)
    }

    /// Another node on this server's store (the same SQLite file or PostgreSQL schema, new
    /// ports), configured further by `configure`; stopping it leaves the store in place.
    func node(configure: (inout RoostConfiguration) -> Void) async throws -> APITestServer {
        var config = app.configuration
        configure(&config)
        return try await Self.launch(config, cleanup: {})
    }

    /// Waits until `/ready` answers 200 (the store, and the broker or the external broker's link).
    func waitReady(within seconds: Double = 15) async throws {
        try await eventually("/ready", within: seconds) { try await HTTP(port: httpPort).get("/ready").status == 200 }
    }

    /// An HTTP client for this server, with `token` as bearer (the admin's by default).
    func http(_ token: String? = nil) -> HTTP { HTTP(port: httpPort, token: token ?? adminToken) }

    func stop() async {
        await app.shutdown()
        _ = try? await task.value
        await cleanup()
    }

    /// Logs in and returns the access token.
    func login(_ email: String, _ password: String) async throws -> String {
        let r = try await HTTP(port: httpPort).post("/api/v1/auth/login", ["email": email, "password": password])
        guard let token = r.json["access_token"] as? String else {
            throw SetupError("login of \(email) failed: \(r.text)")
        }
        return token
    }

    func mqttClient(_ id: String, username: String? = nil, password: String? = nil) -> MQTTClient {
        var c = MQTTClientConfiguration(host: "127.0.0.1", port: mqttPort, clientID: id, protocolVersion: .v5)
        c.username = username
        c.password = password
        c.connectTimeout = 5
        return MQTTClient(configuration: c, logger: Self.logger)
    }
}

/// A minimal HTTP/1.1 client over URLSession (real TCP to the test server).
struct HTTP: Sendable {
    let port: Int
    var token: String?

    struct Reply: Sendable {
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] ?? [:] }
        var items: [[String: Any]] { json["items"] as? [[String: Any]] ?? [] }
        var errorCode: String? { (json["error"] as? [String: Any])?["code"] as? String }
    }

    func request(_ method: String, _ path: String, body: Data? = nil, headers: [String: String] = [:]) async throws
        -> Reply
    {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        request.httpBody = body
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await Self.session.data(for: request)
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (k, v) in http.allHeaderFields { fields[String(describing: k).lowercased()] = String(describing: v) }
        return Reply(status: http.statusCode, headers: fields, body: data)
    }

    /// No client-side cache: a 304 or an ETag reaches the test as the server sent it.
    static let session: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.urlCache = nil
        configuration.requestCachePolicy = .reloadIgnoringLocalCacheData
        return URLSession(configuration: configuration)
    }()

    func get(_ path: String, headers: [String: String] = [:]) async throws -> Reply {
        try await request("GET", path, headers: headers)
    }
    func delete(_ path: String) async throws -> Reply { try await request("DELETE", path) }
    func post(_ path: String, _ json: [String: Any]) async throws -> Reply {
        try await request("POST", path, body: try JSONSerialization.data(withJSONObject: json))
    }
    func put(_ path: String, _ json: [String: Any], headers: [String: String] = [:]) async throws -> Reply {
        try await request("PUT", path, body: try JSONSerialization.data(withJSONObject: json), headers: headers)
    }
    func patch(_ path: String, _ json: [String: Any]) async throws -> Reply {
        try await request("PATCH", path, body: try JSONSerialization.data(withJSONObject: json))
    }
}

struct SetupError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
