import Foundation
import Logging
import MQTTBroker
import MQTTClient
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import RoostServer

/// Roost as `roost serve` assembles it (``buildApplication``), on free loopback ports, over an
/// SQLite file: the broker with its TCP listener, the HTTP server (MQTT over WebSocket), and,
/// with TLS files, MQTT over TLS and WSS.
final class TestServer: Sendable {
    let app: RoostApplication
    let mqttPort: Int
    let httpPort: Int
    let tlsPort: Int?
    let httpsPort: Int?
    /// Removed at stop when the server made it.
    private let scratch: URL?
    private let task: Task<Void, any Error>

    var broker: Broker { app.broker }

    static let logger: Logger = {
        var l = Logger(label: "test")
        l.logLevel =
            ProcessInfo.processInfo.environment["ROOST_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
        return l
    }()

    private init(app: RoostApplication, scratch: URL?, task: Task<Void, any Error>) async throws {
        self.app = app
        self.scratch = scratch
        self.task = task
        mqttPort = try await app.mqttPort()
        httpPort = try await app.httpPort()
        tlsPort = try await app.mqttsPort()
        httpsPort = try await app.httpsPort()
    }

    /// Starts a server. `databasePath` (a `roost.sqlite` in a directory of the test's) keeps
    /// sessions, retained messages and data across restarts; without it the server works in
    /// a scratch directory removed at stop. `hooks` run before Roost's own; `tls` is a PEM
    /// certificate and key; `ingestPresets` are the topic layouts ingested.
    static func start(
        configuration: BrokerConfiguration = .init(), hooks: BrokerHooks = .init(), databasePath: String? = nil,
        tls: (cert: String, key: String)? = nil, ingestPresets: [String] = ["default"],
        configure: (inout RoostConfiguration) -> Void = { _ in }
    ) async throws -> TestServer {
        var config = RoostConfiguration()
        config.broker = configuration
        if config.broker.sysInterval == 10 { config.broker.sysInterval = 0.2 }
        config.hooks = hooks
        config.topicPresets = ingestPresets
        config.mqttPort = 0
        config.httpPort = 0
        config.bcryptCost = 4
        config.jwtSecret = "a-test-secret-of-at-least-32-bytes!!"
        config.adminPassword = "admin-password-1"
        config.rollupInterval = 0
        var scratch: URL?
        if let databasePath {
            let file = URL(fileURLWithPath: databasePath)
            precondition(file.lastPathComponent == "roost.sqlite", "the store file is DATA_DIR/roost.sqlite")
            config.dataDir = file.deletingLastPathComponent().path
        } else {
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("roost-broker-\(UUID().uuidString)")
            config.dataDir = dir.path
            scratch = dir
        }
        if let tls {
            (config.tlsCert, config.tlsKey) = (tls.cert, tls.key)
            (config.mqttsPort, config.httpsPort) = (0, 0)
        }
        configure(&config)
        let app = try await buildApplication(config, logger: logger)
        let task = Task { try await app.run() }
        return try await TestServer(app: app, scratch: scratch, task: task)
    }

    /// Graceful shutdown: listeners close, clients get DISCONNECT, sessions are saved, the
    /// ingest queue is committed and the store closed.
    func stop() async {
        await app.shutdown()
        _ = try? await task.value
        if let scratch { try? FileManager.default.removeItem(at: scratch) }
    }

    /// A client configuration for this server.
    func clientConfig(_ id: String, _ version: ProtocolVersion = .v5) -> MQTTClientConfiguration {
        var c = MQTTClientConfiguration(host: "127.0.0.1", port: mqttPort, clientID: id, protocolVersion: version)
        c.connectTimeout = 5
        return c
    }

    /// Connects a client with the project's own MQTTClient.
    func client(
        _ id: String, _ version: ProtocolVersion = .v5, configure: (inout MQTTClientConfiguration) -> Void = { _ in }
    ) async throws -> MQTTClient {
        var c = clientConfig(id, version)
        configure(&c)
        let client = MQTTClient(configuration: c, logger: Self.logger)
        try await client.connect()
        return client
    }
}

/// Thrown when an awaited event does not happen in time.
struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Polls `condition` until it holds or the deadline passes: tests wait for events, with a
/// deadline, instead of sleeping a fixed time.
func eventually(_ what: String, within seconds: Double = 5, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    throw TimedOut(what: what)
}

/// Gathers every message a client receives so tests can wait for the n-th one.
final class Inbox: Sendable {
    private let received = NIOLockedValueBox<[PublishPacket]>([])
    private let consumed = NIOLockedValueBox(0)
    private let task: Task<Void, Never>

    init(_ client: MQTTClient) {
        let stream = client.messages()
        let received = self.received
        self.task = Task {
            for await message in stream { received.withLockedValue { $0.append(message) } }
        }
    }

    deinit { task.cancel() }

    /// Everything received so far.
    var all: [PublishPacket] { received.withLockedValue { $0 } }

    /// The next `count` messages not yet returned, waiting at most `seconds`.
    func next(_ count: Int = 1, within seconds: Double = 5) async throws -> [PublishPacket] {
        let start = consumed.withLockedValue { $0 }
        try await eventually("\(count) message(s)", within: seconds) {
            received.withLockedValue { $0.count } >= start + count
        }
        consumed.withLockedValue { $0 = start + count }
        return received.withLockedValue { Array($0[start..<(start + count)]) }
    }

    /// `true` when nothing new arrives within `seconds` (for must-not-deliver checks).
    func isQuiet(for seconds: Double = 0.3) async -> Bool {
        let start = consumed.withLockedValue { $0 }
        return (try? await eventually("quiet", within: seconds) { received.withLockedValue { $0.count } > start })
            == nil
    }
}
