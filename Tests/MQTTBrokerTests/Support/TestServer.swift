import Foundation
import Logging
import MQTTBroker
import MQTTClient
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import RoostAPI
import RoostCore
import RoostSQLite
import ServiceLifecycle

/// A real broker with a TCP listener and the HTTP server (for WebSocket) on free loopback
/// ports, run by a ServiceGroup exactly as `roost serve` runs it.
final class TestServer: Sendable {
    let broker: Broker
    let mqttPort: Int
    let httpPort: Int
    let tlsPort: Int?
    let httpsPort: Int?
    let store: SQLiteStore?
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    static let logger: Logger = {
        var l = Logger(label: "test")
        l.logLevel =
            ProcessInfo.processInfo.environment["ROOST_TEST_LOG"].flatMap { Logger.Level(rawValue: $0) } ?? .critical
        return l
    }()

    private init(
        broker: Broker, mqttPort: Int, httpPort: Int, tlsPort: Int?, httpsPort: Int?, store: SQLiteStore?,
        group: ServiceGroup, task: Task<Void, any Error>
    ) {
        self.httpsPort = httpsPort
        self.broker = broker
        self.mqttPort = mqttPort
        self.httpPort = httpPort
        self.tlsPort = tlsPort
        self.store = store
        self.group = group
        self.task = task
    }

    /// Starts a server. `databasePath` enables SQLite persistence of sessions and retained messages.
    static func start(
        configuration: BrokerConfiguration = .init(), hooks: BrokerHooks = .init(), databasePath: String? = nil,
        tls: TLSConfiguration? = nil, ingestPresets: [String]? = nil
    ) async throws -> TestServer {
        var config = configuration
        if config.sysInterval == 10 { config.sysInterval = 0.2 }
        var store: SQLiteStore?
        if let databasePath { store = try await SQLiteStore.open(path: databasePath, logger: logger) }
        var hooks = hooks
        var ingest: IngestPipeline?
        if let ingestPresets, let store {
            let pipeline = IngestPipeline(
                layout: try TopicLayout(presets: ingestPresets), store: SQLiteIngestStore(store: store), logger: logger)
            hooks.observers.append(pipeline)
            ingest = pipeline
        }
        let broker = Broker(
            configuration: config, hooks: hooks, persistence: store.map { SQLiteBrokerPersistence(store: $0) },
            logger: logger)
        try await broker.start()
        let listener = MQTTListener(broker: broker, configuration: .init(host: "127.0.0.1", port: 0))
        let tlsListener = try tls.map {
            MQTTListener(
                broker: broker,
                configuration: .init(host: "127.0.0.1", port: 0, tls: try NIOSSLContext(configuration: $0)))
        }
        let (httpsStream, httpsContinuation) = AsyncStream.makeStream(of: Int.self)
        let https = try tls.map {
            try HTTPServer.makeApplication(
                broker: broker, configuration: .init(host: "127.0.0.1", port: 0, tls: $0), logger: logger,
                onBound: { port in httpsContinuation.yield(port) })
        }
        let (portStream, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let http = try HTTPServer.makeApplication(
            broker: broker, configuration: .init(host: "127.0.0.1", port: 0), logger: logger,
            onBound: { port in portContinuation.yield(port) })
        var services: [any Service] = (ingest.map { [$0] } ?? []) + [broker, listener]
        if let tlsListener { services.append(tlsListener) }
        services.append(http)
        if let https { services.append(https) }
        let group = ServiceGroup(services: services, logger: logger)
        let task = Task { try await group.run() }
        let mqttPort = try await listener.localAddress().port!
        let tlsPort = try await tlsListener?.localAddress().port
        var iterator = portStream.makeAsyncIterator()
        let httpPort = await iterator.next()!
        var httpsIterator = httpsStream.makeAsyncIterator()
        let httpsPort = https == nil ? nil : await httpsIterator.next()
        return TestServer(
            broker: broker, mqttPort: mqttPort, httpPort: httpPort, tlsPort: tlsPort, httpsPort: httpsPort,
            store: store,
            group: group, task: task)
    }

    /// Graceful shutdown: listeners close, clients get DISCONNECT, sessions are saved.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
        try? await store?.close()
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
