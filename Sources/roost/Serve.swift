import ArgumentParser
import Logging
import NIOCore
import NIOPosix
import RoostServer
import UnixSignals

/// `roost serve`: broker, HTTP API and dashboard in one process.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the broker (MQTT over TCP and WebSocket) and the HTTP server.",
        discussion: "Example: roost serve --mqtt-port 1883 --http-port 8080 --data-dir ./roost-data")

    @Option(help: "MQTT TCP port (0 picks a free port). Default 1883.") var mqttPort: Int?
    @Option(help: "HTTP port, also serving MQTT over WebSocket at /mqtt. Default 8080.") var httpPort: Int?
    @Option(help: "Directory for the SQLite database and generated keys. Default ./roost-data.") var dataDir: String?
    @Option(help: "'sqlite' (default) or postgres://user:pw@host:port/db.") var database: String?
    @Option(help: "Mosquitto-style ACL file for clients that are not device logins.") var aclFile: String?
    @Option(help: "Config file (TOML, or JSON when it ends in .json).") var config: String?
    @Option(
        help: "Address to bind. Default 127.0.0.1. Other addresses admit device logins only, unless --allow-anonymous.")
    var bind: String?
    @Flag(help: "Admit clients without device credentials even when binding a non-loopback address.")
    var allowAnonymous = false
    @Option(help: "MQTT over TLS port (needs --tls-cert and --tls-key). Default 8883 when TLS is configured.")
    var mqttsPort: Int?
    @Option(
        help:
            "HTTPS port, also serving MQTT over WSS at /mqtt (needs --tls-cert and --tls-key). Default 8443 when TLS is configured."
    ) var httpsPort: Int?
    @Option(help: "PEM certificate chain for TLS (MQTT and HTTPS/WSS).") var tlsCert: String?
    @Option(help: "PEM private key for TLS.") var tlsKey: String?
    @Option(help: "Log level: trace, debug, info, notice, warning, error. Default info.") var logLevel: String?
    @Option(help: "Log format: console or json (one object per line, with the request id on API lines).") var logFormat:
        String?
    @Option(help: "Topic layouts to ingest, comma-separated: default, company-machine, user-feeds, from-to-device.")
    var topicPreset: String?
    @Option(
        help: """
            Consume devices' messages from an external broker (EMQX, Mosquitto) instead of listening for them: \
            mqtt://user:pw@host:1883, mqtts://…, ws://…/mqtt; a comma-separated list fails over in order.
            """)
    var broker: String?
    @Flag(help: "With --broker: keep Roost's own MQTT listener open too.") var mqttListener = false
    @Option(help: "Event loop threads for connections. Default: one per core, less one for the database (at least 1).")
    var threads: Int?

    var flags: ServeFlags {
        var f = ServeFlags()
        f.mqttPort = mqttPort
        f.httpPort = httpPort
        f.mqttsPort = mqttsPort
        f.httpsPort = httpsPort
        f.dataDir = dataDir
        f.database = database
        f.aclFile = aclFile
        f.bind = bind
        f.allowAnonymous = allowAnonymous
        f.tlsCert = tlsCert
        f.tlsKey = tlsKey
        f.topicPreset = topicPreset
        f.broker = broker
        f.mqttListener = mqttListener
        return f
    }

    func run() async throws {
        let settings = try Settings(configFile: config)
        let level = settings.string("log_level", flag: logLevel).flatMap { Logger.Level(rawValue: $0) } ?? .info
        let format = settings.string("log_format", flag: logFormat) ?? "console"
        guard format == "console" || format == "json" else {
            throw SettingsError("--log-format must be console or json")
        }
        bootstrapLogging(level, format: format)
        let logger = Logger(label: "roost")
        var configuration = try RoostConfiguration(settings: settings, flags: flags)
        configuration.shutdownSignals = [.sigterm, .sigint]
        // One core is left to the database writer and clients on the same machine: measured on
        // 2 cores, one event loop beat two on every broker benchmark (no cross-thread wake-ups,
        // no lock contention). Must be set before any NIO singleton is first used.
        let threads = try settings.int("threads", flag: threads) ?? max(1, System.coreCount - 1)
        guard threads > 0 else { throw SettingsError("--threads must be at least 1") }
        NIOSingletons.groupLoopCountSuggestion = threads
        let app = try await buildApplication(configuration, logger: logger)
        // SIGHUP: read the ACL file again.
        let reloads = Task {
            for await _ in await UnixSignalsSequence(trapping: .sighup) {
                do {
                    let dropped = try await app.reloadACL()
                    logger.notice("acl file read again on SIGHUP; \(dropped) subscription(s) dropped")
                } catch {
                    logger.error("SIGHUP: the ACL file was not reloaded, the old rules stay: \(error)")
                }
            }
        }
        defer { reloads.cancel() }
        do {
            try await app.run()
        } catch {
            logger.critical("roost stopped: \(error)")
            throw error
        }
        logger.notice("roost stopped")
    }
}
