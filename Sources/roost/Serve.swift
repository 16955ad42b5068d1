import ArgumentParser
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

/// `roost serve`: broker, HTTP API and dashboard in one process.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the broker (MQTT over TCP and WebSocket) and the HTTP server.")

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
    @Option(help: "Event loop threads for connections. Default: one per core, less one for the database (at least 1).")
    var threads: Int?

    func run() async throws {
        let settings = try Settings(configFile: config)
        let level = settings.string("log_level", flag: logLevel).flatMap { Logger.Level(rawValue: $0) } ?? .info
        let format = settings.string("log_format", flag: logFormat) ?? "console"
        guard format == "console" || format == "json" else {
            throw SettingsError("--log-format must be console or json")
        }
        bootstrapLogging(level, format: format)
        let logger = Logger(label: "roost")
        let options = try ServeOptions(settings: settings, flags: self)
        // One core is left to the database writer and clients on the same machine: measured on
        // 2 cores, one event loop beat two on every broker benchmark (no cross-thread wake-ups,
        // no lock contention). Must be set before any NIO singleton is first used.
        let threads = try settings.int("threads", flag: threads) ?? max(1, System.coreCount - 1)
        guard threads > 0 else { throw SettingsError("--threads must be at least 1") }
        NIOSingletons.groupLoopCountSuggestion = threads
        try await ServerRunner(options: options, logger: logger).run()
    }
}

/// Everything `serve` needs, resolved from flags, environment and config file.
struct ServeOptions {
    var mqttPort: Int
    var httpPort: Int
    var mqttsPort: Int?
    var httpsPort: Int?
    var dataDir: String
    var database: String
    var aclFile: String?
    var bind: String
    var tlsCert: String?
    var tlsKey: String?
    var broker: BrokerConfiguration
    var topicPresets: [String]
    var ingest: IngestPipeline.Configuration
    /// JWT signing secret (`jwt_secret` / ROOST_JWT_SECRET); generated into the data dir if absent.
    var jwtSecret: String?
    var accessTTL: Int64
    var bcryptCost: UInt8
    /// Seconds between rollup rounds once caught up; 0 turns rollups off.
    var rollupInterval: Double
    /// SQLite's `synchronous` for the writers: NORMAL, or FULL (`sqlite.synchronous = full`).
    var sqliteSyncFull: Bool
    /// Bytes of first history pages the API keeps while their device has no new data; 0: none.
    var historyCacheBytes: Int

    init(settings: Settings, flags: Serve) throws {
        mqttPort = try settings.int("mqtt_port", flag: flags.mqttPort) ?? 1883
        httpPort = try settings.int("http_port", flag: flags.httpPort) ?? 8080
        dataDir = settings.string("data_dir", flag: flags.dataDir) ?? "./roost-data"
        database = settings.string("database", flag: flags.database) ?? "sqlite"
        aclFile = settings.string("acl_file", flag: flags.aclFile)
        bind = settings.string("bind", flag: flags.bind) ?? "127.0.0.1"
        tlsCert = settings.string("tls_cert", flag: flags.tlsCert)
        tlsKey = settings.string("tls_key", flag: flags.tlsKey)
        mqttsPort = try settings.int("mqtts_port", flag: flags.mqttsPort) ?? (tlsCert != nil ? 8883 : nil)
        httpsPort = try settings.int("https_port", flag: flags.httpsPort) ?? (tlsCert != nil ? 8443 : nil)
        if (tlsCert == nil) != (tlsKey == nil) { throw SettingsError("--tls-cert and --tls-key go together") }
        for port in [mqttPort, httpPort] + [mqttsPort, httpsPort].compactMap({ $0 }) where !(0...65_535).contains(port)
        {
            throw SettingsError("port \(port) is out of range")
        }
        var b = BrokerConfiguration()
        if let v = try settings.int("mqtt.max_connections") { b.maxConnections = v }
        if let v = try settings.double("mqtt.connect_timeout") { b.connectTimeout = v }
        if let v = try settings.int("mqtt.max_packet_size") { b.maxPacketSize = v }
        if let v = try settings.int("mqtt.max_payload_size") { b.maxPayloadSize = v }
        if let v = try settings.int("mqtt.max_inflight") { b.maxInflight = v }
        if let v = try settings.int("mqtt.receive_maximum") { b.receiveMaximum = UInt16(clamping: v) }
        if let v = try settings.int("mqtt.max_queued_messages") { b.maxQueuedMessages = v }
        if let v = try settings.int("mqtt.topic_alias_maximum") { b.topicAliasMaximum = UInt16(clamping: v) }
        if let v = try settings.int("mqtt.max_session_expiry") { b.maxSessionExpiry = UInt32(clamping: v) }
        if let v = try settings.int("mqtt.max_keep_alive") { b.maxKeepAlive = UInt16(clamping: v) }
        if let v = try settings.double("mqtt.sys_interval") { b.sysInterval = v }
        if let v = try settings.bool("mqtt.queue_qos0_messages") { b.queueQoS0Messages = v }
        // Like Mosquitto 2: open on loopback, credentials required elsewhere unless opted out.
        let loopback = ["127.0.0.1", "::1", "localhost"].contains(bind) || bind.hasPrefix("127.")
        b.allowAnonymous = try settings.bool("mqtt.allow_anonymous") ?? (loopback || flags.allowAnonymous)
        if flags.allowAnonymous { b.allowAnonymous = true }
        if let v = try settings.int("mqtt.slow_consumer_queue") { b.slowConsumerQueue = v }
        if let v = try settings.double("mqtt.slow_consumer_max_pause") { b.slowConsumerMaxPause = v }
        if let v = try settings.double("mqtt.session_save_interval") { b.sessionSaveInterval = v }
        broker = b
        topicPresets = (settings.string("topic_preset", flag: flags.topicPreset) ?? "default")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var i = IngestPipeline.Configuration()
        if let v = try settings.int("ingest.batch_size") { i.batchSize = max(1, v) }
        if let v = try settings.double("ingest.flush_interval") { i.flushInterval = max(0, v) }
        if let v = try settings.int("ingest.max_payload_size") { i.maxPayloadSize = v }
        if let v = try settings.int("ingest.max_queue") { i.maxQueue = max(1, v) }
        // Measured: two writers gain ~5% on PostgreSQL (one batch's round trips overlap the
        // other's work) and nothing on SQLite, whose transactions take turns anyway.
        i.writers = database == "sqlite" ? 1 : 2
        if let v = try settings.int("ingest.writers") {
            guard (1...8).contains(v) else { throw SettingsError("ingest.writers must be 1...8") }
            i.writers = v
        }
        ingest = i
        jwtSecret = settings.string("jwt_secret")
        accessTTL = Int64(try settings.int("auth.access_ttl") ?? 900)
        let cost = try settings.int("auth.bcrypt_cost") ?? 10
        guard (4...16).contains(cost), accessTTL > 0 else {
            throw SettingsError("auth.bcrypt_cost must be 4...16, auth.access_ttl > 0")
        }
        bcryptCost = UInt8(cost)
        rollupInterval = try settings.double("aggregate.rollup_interval") ?? 1
        guard rollupInterval >= 0 else { throw SettingsError("aggregate.rollup_interval must be >= 0") }
        let cacheMB = try settings.int("api.history_cache_mb") ?? 64
        guard (0...65_536).contains(cacheMB) else { throw SettingsError("api.history_cache_mb must be 0...65536") }
        historyCacheBytes = cacheMB << 20
        switch settings.string("sqlite.synchronous")?.lowercased() ?? "normal" {
        case "normal": sqliteSyncFull = false
        case "full": sqliteSyncFull = true
        case let other: throw SettingsError("sqlite.synchronous must be normal or full, got '\(other)'")
        }
    }
}
