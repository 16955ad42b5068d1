import Foundation
import Logging
import MQTTBroker
import NIOCore
import NIOPosix
import NIOSSL
import RoostAPI
import RoostCore
import RoostSQLite
import ServiceLifecycle

/// Builds the broker, listeners and HTTP server from options and runs them until SIGTERM/SIGINT.
struct ServerRunner {
    let options: ServeOptions
    let logger: Logger

    func run() async throws {
        try FileManager.default.createDirectory(atPath: options.dataDir, withIntermediateDirectories: true)
        guard options.database == "sqlite" else {
            throw SettingsError("database '\(options.database)': only 'sqlite' is available in this build")
        }
        let store = try await SQLiteStore.open(path: options.dataDir + "/roost.sqlite", logger: logger)
        let layout = try TopicLayout(presets: options.topicPresets)
        let ingest = IngestPipeline(
            layout: layout, store: SQLiteIngestStore(store: store), configuration: options.ingest,
            logger: Logger(label: "roost.ingest"))
        logger.info("topic presets: \(options.topicPresets.joined(separator: ", "))")
        var hooks = BrokerHooks()
        hooks.observers.append(ingest)
        if let aclFile = options.aclFile {
            let text = try String(contentsOfFile: aclFile, encoding: .utf8)
            hooks.authorizers.append(try ACLFile(contents: text))
            logger.info("acl file \(aclFile) loaded")
        }
        let broker = Broker(
            configuration: options.broker, hooks: hooks, persistence: SQLiteBrokerPersistence(store: store),
            logger: Logger(label: "roost.mqtt"))
        try await broker.start()

        // Shut down in reverse: HTTP and listeners first, then the broker disconnects clients,
        // then ingest commits what is queued.
        var services: [any Service] = [ingest, broker]
        services.append(MQTTListener(broker: broker, configuration: .init(host: options.bind, port: options.mqttPort)))
        services.append(
            try HTTPServer.makeApplication(
                broker: broker, configuration: .init(host: options.bind, port: options.httpPort),
                logger: Logger(label: "roost.http")))
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
                        logger: Logger(label: "roost.https")))
            }
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0) },
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        try await group.run()
        try? await store.close()
        logger.notice("roost stopped")
    }
}
