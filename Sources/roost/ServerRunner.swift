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
        if options.rollupInterval > 0 {
            services.insert(
                RollupCompactor(store: stores.api, interval: .milliseconds(Int64(options.rollupInterval * 1000))), at: 0
            )
        } else {
            logger.notice("rollups are off (aggregate.rollup_interval = 0): aggregates read raw rows")
        }
        let mqttListener = MQTTListener(
            broker: broker, configuration: .init(host: options.bind, port: options.mqttPort))
        services.append(mqttListener)
        let httpIngest = HTTPIngest(broker: broker, layout: layout, credentials: stores.credentials)
        var api = try await makeAPI(stores: stores, broker: broker, ingest: ingest)
        api.brokerReady = { mqttListener.isListening }
        services.append(
            try HTTPServer.makeApplication(
                broker: broker, configuration: .init(host: options.bind, port: options.httpPort),
                logger: Logger(label: "roost.http"), ingest: httpIngest, api: api))
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
                        logger: Logger(label: "roost.https"), ingest: httpIngest, api: api))
            }
        }
        // A service that fails (say the HTTP port is taken) shuts the others down gracefully:
        // clients are told, the ingest queue is committed, and the error is reported.
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0, failureTerminationBehavior: .gracefullyShutdownGroup) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            logger.critical("roost stopped: \(error)")
            throw error
        }
        logger.notice("roost stopped")
    }

    /// The REST API, and the first admin when the store has no users.
    func makeAPI(stores: Stores, broker: Broker, ingest: IngestPipeline) async throws -> RoostAPI {
        let secret = try TokenService.secret(configured: options.jwtSecret, dataDir: options.dataDir)
        let tokens = await TokenService.make(
            secret: secret, accessTTL: options.accessTTL, bcryptCost: options.bcryptCost)
        let store = stores.api
        let api = RoostAPI(
            store: store, tokens: tokens, broker: broker, ingestStatistics: { ingest.statistics },
            devicesDeleted: { ingest.forgetDevices() },
            storeReady: { (try? await store.userCount()) != nil }, historyCacheBytes: options.historyCacheBytes)
        let env = ProcessInfo.processInfo.environment
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        if let admin = try await api.bootstrapAdmin(
            email: env["ROOST_ADMIN_EMAIL"], password: env["ROOST_ADMIN_PASSWORD"], now: now)
        {
            if let generated = admin.generatedPassword {
                // Printed once, on the first start only: there is no fixed default password.
                logger.notice(
                    "created the first admin: log in at http://\(options.bind):\(options.httpPort)/ as \(admin.email) with password \(generated) (shown once; change it, or set ROOST_ADMIN_PASSWORD before the first start)"
                )
            } else {
                logger.notice("created the first admin \(admin.email) with the password from ROOST_ADMIN_PASSWORD")
            }
        }
        return api
    }

    /// The stores of `--database`: SQLite under the data directory, or PostgreSQL.
    struct Stores {
        let ingest: any IngestStore
        let broker: any BrokerPersistence
        let credentials: any CredentialStore
        let api: any APIStore
        let close: @Sendable () -> Void
    }

    func openStores() async throws -> Stores {
        if options.database == "sqlite" {
            let store = try await SQLiteStore.open(
                path: options.dataDir + "/roost.sqlite", synchronousFull: options.sqliteSyncFull, logger: logger)
            logger.info("database: sqlite \(options.dataDir)/roost.sqlite")
            return Stores(
                ingest: SQLiteIngestStore(store: store), broker: SQLiteBrokerPersistence(store: store),
                credentials: SQLiteCredentialStore(store: store), api: SQLiteAPIStore(store: store),
                close: { Task { try? await store.close() } })
        }
        guard options.database.hasPrefix("postgres://") || options.database.hasPrefix("postgresql://") else {
            throw SettingsError("--database must be 'sqlite' or a postgres:// URL, got '\(options.database)'")
        }
        let store = try PostgresStore(url: options.database, logger: Logger(label: "roost.postgres"))
        // The pool runs beside the services and stops after them. `Task.immediate`: its run()
        // has begun before the first query (PostgresNIO warns of a lease before run()).
        let pool = Task.immediate { await store.run() }
        do {
            try await store.migrate()
        } catch {
            pool.cancel()
            throw SettingsError("cannot use PostgreSQL at \(Self.redacted(options.database)): \(error)")
        }
        logger.info("database: postgres \(Self.redacted(options.database))")
        return Stores(
            ingest: PostgresIngestStore(store: store), broker: PostgresBrokerPersistence(store: store),
            credentials: PostgresCredentialStore(store: store), api: PostgresAPIStore(store: store),
            close: { pool.cancel() })
    }

    /// The URL without its password, for logs.
    static func redacted(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@"), let scheme = url.range(of: "://") else { return url }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return url.replacingCharacters(in: colon..<at, with: ":***")
    }
}
