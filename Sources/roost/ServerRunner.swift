import Foundation
import Logging
import MQTTBroker
import NIOCore
import NIOPosix
import NIOSSL
import RoostAPI
import RoostCore
import RoostPostgres
import RoostSQLite
import RoostStore
import ServiceLifecycle

/// Builds the broker, listeners and HTTP server from options and runs them until SIGTERM/SIGINT.
struct ServerRunner {
    let options: ServeOptions
    let logger: Logger

    func run() async throws {
        try FileManager.default.createDirectory(atPath: options.dataDir, withIntermediateDirectories: true)
        let stores = try await openStores()
        defer { stores.close() }
        let layout = try TopicLayout(presets: options.topicPresets)
        let ingest = IngestPipeline(
            layout: layout, store: stores.ingest, configuration: options.ingest, logger: Logger(label: "roost.ingest"))
        logger.info("topic presets: \(options.topicPresets.joined(separator: ", "))")
        var hooks = BrokerHooks()
        hooks.observers.append(ingest)
        // Device logins first; other clients follow the ACL file, or go anywhere without one.
        hooks.authenticators.append(
            DeviceAuthenticator(credentials: stores.credentials, allowOtherUsers: options.broker.allowAnonymous))
        hooks.authorizers.append(DeviceAuthorizer(layout: layout, openForOthers: options.aclFile == nil))
        if let aclFile = options.aclFile {
            let text = try String(contentsOfFile: aclFile, encoding: .utf8)
            hooks.authorizers.append(try ACLFile(contents: text))
            logger.info("acl file \(aclFile) loaded")
        }
        if !options.broker.allowAnonymous {
            logger.notice("anonymous clients are refused: only device logins may connect")
        }
        let broker = Broker(
            configuration: options.broker, hooks: hooks, persistence: stores.broker, logger: Logger(label: "roost.mqtt")
        )
        try await broker.start()

        // Shut down in reverse: HTTP and listeners first, then the broker disconnects clients,
        // then ingest commits what is queued.
        var services: [any Service] = [ingest, broker]
        services.append(MQTTListener(broker: broker, configuration: .init(host: options.bind, port: options.mqttPort)))
        let httpIngest = HTTPIngest(broker: broker, layout: layout, credentials: stores.credentials)
        services.append(
            try HTTPServer.makeApplication(
                broker: broker, configuration: .init(host: options.bind, port: options.httpPort),
                logger: Logger(label: "roost.http"), ingest: httpIngest))
        if let cert = options.tlsCert, let key = options.tlsKey {
            let tls = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
            if let port = options.mqttsPort {
                let context = try NIOSSLContext(configuration: tls)
                services.append(
                    MQTTListener(broker: broker, configuration: .init(host: options.bind, port: port, tls: context)))
            }
            if let port = options.httpsPort {
                services.append(
                    try HTTPServer.makeApplication(
                        broker: broker, configuration: .init(host: options.bind, port: port, tls: tls),
                        logger: Logger(label: "roost.https"), ingest: httpIngest))
            }
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        logger.notice("roost stopped")
    }

    /// The stores of `--database`: SQLite under the data directory, or PostgreSQL.
    struct Stores {
        let ingest: any IngestStore
        let broker: any BrokerPersistence
        let credentials: any CredentialStore
        let close: @Sendable () -> Void
    }

    func openStores() async throws -> Stores {
        if options.database == "sqlite" {
            let store = try await SQLiteStore.open(path: options.dataDir + "/roost.sqlite", logger: logger)
            logger.info("database: sqlite \(options.dataDir)/roost.sqlite")
            return Stores(
                ingest: SQLiteIngestStore(store: store), broker: SQLiteBrokerPersistence(store: store),
                credentials: SQLiteCredentialStore(store: store), close: { Task { try? await store.close() } })
        }
        guard options.database.hasPrefix("postgres://") || options.database.hasPrefix("postgresql://") else {
            throw SettingsError("--database must be 'sqlite' or a postgres:// URL, got '\(options.database)'")
        }
        let store = try PostgresStore(url: options.database, logger: Logger(label: "roost.postgres"))
        // The pool runs beside the services and stops after them.
        let pool = Task { await store.run() }
        do {
            try await store.migrate()
        } catch {
            pool.cancel()
            throw SettingsError("cannot use PostgreSQL at \(Self.redacted(options.database)): \(error)")
        }
        logger.info("database: postgres \(Self.redacted(options.database))")
        return Stores(
            ingest: PostgresIngestStore(store: store), broker: PostgresBrokerPersistence(store: store),
            credentials: PostgresCredentialStore(store: store), close: { pool.cancel() })
    }

    /// The URL without its password, for logs.
    static func redacted(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@"), let scheme = url.range(of: "://") else { return url }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return url.replacingCharacters(in: colon..<at, with: ":***")
    }
}
