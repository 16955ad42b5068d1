import Foundation
import MQTTBroker
import RoostCore

extension RoostConfiguration {
    /// Resolves every setting from, in order: the flag, a `ROOST_*` variable, the config file,
    /// the default. Values out of range are errors, reported before anything starts.
    public init(settings: Settings, flags: ServeFlags = .init()) throws {
        self.init()
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
        _ = try databaseLocation
        broker = try Self.broker(settings, allowAnonymousFlag: flags.allowAnonymous, loopback: bindsLoopback)
        topicPresets = (settings.string("topic_preset", flag: flags.topicPreset) ?? "default")
            .split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        ingest = try Self.ingest(settings, sqlite: database == "sqlite")
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
        if let v = try settings.int("realtime.socket_buffer") {
            guard v >= 1 else { throw SettingsError("realtime.socket_buffer must be at least 1") }
            realtime.socketBuffer = v
        }
        if let v = try settings.double("realtime.max_lag") {
            guard v > 0 else { throw SettingsError("realtime.max_lag must be > 0") }
            realtime.maxLag = .milliseconds(Int64(v * 1000))
        }
        commands = try Self.commands(settings)
        if let v = try settings.int("alerts.webhook_attempts") {
            guard (1...50).contains(v) else { throw SettingsError("alerts.webhook_attempts must be 1...50") }
            alerts.webhookAttempts = v
        }
        if let v = try settings.double("alerts.webhook_retry_base") {
            guard v > 0 else { throw SettingsError("alerts.webhook_retry_base must be > 0 seconds") }
            alerts.webhookRetryBase = v
        }
        if let v = try settings.double("alerts.webhook_timeout") {
            guard v > 0 else { throw SettingsError("alerts.webhook_timeout must be > 0 seconds") }
            alerts.webhookTimeout = v
        }
        if let v = try settings.double("schedules.grace") {
            guard v >= 0 else { throw SettingsError("schedules.grace must be >= 0 seconds") }
            schedules.grace = v
        }
        if let v = try settings.int("shadow.max_bytes") {
            guard (2...(1 << 20)).contains(v) else { throw SettingsError("shadow.max_bytes must be 2...1048576") }
            shadowMaxBytes = v
        }
        adminEmail = settings.string("admin_email")
        adminPassword = settings.string("admin_password")
        brokerAuthToken = settings.string("broker_auth.token")
        externalBroker = try Self.externalBroker(settings, flags: flags)
        retention = try Self.retention(settings)
    }

    /// `retention.*`: days kept (0 or absent: forever), per tenant in tables, and the job's pace.
    private static func retention(_ settings: Settings) throws -> RetentionSettings {
        var r = RetentionSettings()
        func days(_ key: String) throws -> Double? {
            guard let v = try settings.double(key) else { return nil }
            guard v >= 0 else { throw SettingsError("\(key) must be >= 0 days (0 keeps everything)") }
            return v
        }
        r.rawDays = try days("retention.raw_days").flatMap { $0 > 0 ? $0 : nil }
        r.rollupDays = try days("retention.rollup_days").flatMap { $0 > 0 ? $0 : nil }
        for tenant in settings.keys(under: "retention.tenant_raw_days") {
            r.tenantRawDays[tenant] = try days("retention.tenant_raw_days." + tenant)
        }
        for tenant in settings.keys(under: "retention.tenant_rollup_days") {
            r.tenantRollupDays[tenant] = try days("retention.tenant_rollup_days." + tenant)
        }
        if let v = try settings.double("retention.interval") {
            guard v > 0 else { throw SettingsError("retention.interval must be > 0 seconds") }
            r.interval = v
        }
        if let v = try settings.int("retention.batch_size") {
            guard (1...1_000_000).contains(v) else { throw SettingsError("retention.batch_size must be 1...1000000") }
            r.batchSize = v
        }
        return r
    }

    /// `--broker URL[,URL…]` and the `external_broker.*` settings; nil without `--broker`.
    private static func externalBroker(_ settings: Settings, flags: ServeFlags) throws -> ExternalBrokerSettings? {
        guard let list = settings.string("broker", flag: flags.broker) else { return nil }
        var e = ExternalBrokerSettings(urls: try ExternalBrokerURL.list(list))
        if let v = settings.string("external_broker.client_id") {
            guard !v.isEmpty, v.utf8.count <= 64 else {
                throw SettingsError("external_broker.client_id must be 1 to 64 bytes")
            }
            e.clientID = v
        }
        if let v = try settings.int("external_broker.session_expiry") {
            guard (0...Int(UInt32.max)).contains(v) else { throw SettingsError("external_broker.session_expiry must be >= 0") }
            e.sessionExpiry = UInt32(v)
        }
        if let v = try settings.int("external_broker.receive_maximum") {
            guard (1...65_535).contains(v) else { throw SettingsError("external_broker.receive_maximum must be 1...65535") }
            e.receiveMaximum = UInt16(v)
        }
        if let v = settings.string("external_broker.share_group") {
            guard !v.isEmpty, !v.contains(where: { "/+#".contains($0) }) else {
                throw SettingsError("external_broker.share_group must be a non-empty name without / + #")
            }
            e.shareGroup = v
        }
        if let v = try settings.int("external_broker.protocol_version") {
            guard v == 4 || v == 5 else { throw SettingsError("external_broker.protocol_version must be 4 or 5") }
            e.protocolVersion = v == 4 ? .v3_1_1 : .v5
        }
        e.caFile = settings.string("external_broker.ca_file")
        if let v = settings.string("external_broker.client_events") {
            guard v.isEmpty || (v.hasSuffix("/+") && !v.contains("#")) else {
                throw SettingsError("external_broker.client_events must end in /+ (the client id), or be empty for none")
            }
            e.clientEvents = v.isEmpty ? nil : v
        }
        e.keepListener = flags.mqttListener ? true : (try settings.bool("mqtt_listener") ?? false)
        return e
    }

    private static func broker(_ settings: Settings, allowAnonymousFlag: Bool, loopback: Bool) throws
        -> BrokerConfiguration
    {
        var b = BrokerConfiguration()
        if let v = try settings.int("mqtt.max_connections") { b.maxConnections = v }
        if let v = try settings.int("mqtt.login_failures_per_minute") { b.loginThrottle.failuresPerAddress = v }
        if let v = try settings.double("mqtt.login_failure_delay_max") { b.loginThrottle.maxDelay = v }
        if let v = try settings.double("mqtt.connect_timeout") { b.connectTimeout = v }
        if let v = try settings.double("mqtt.stalled_write_timeout") {
            guard v > 0 else { throw SettingsError("mqtt.stalled_write_timeout must be > 0 seconds") }
            b.stalledWriteTimeout = v
        }
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
        b.allowAnonymous = try settings.bool("mqtt.allow_anonymous") ?? (loopback || allowAnonymousFlag)
        if allowAnonymousFlag { b.allowAnonymous = true }
        if let v = try settings.int("mqtt.slow_consumer_queue") { b.slowConsumerQueue = v }
        if let v = try settings.double("mqtt.slow_consumer_max_pause") { b.slowConsumerMaxPause = v }
        if let v = try settings.double("mqtt.session_save_interval") { b.sessionSaveInterval = v }
        return b
    }

    private static func commands(_ settings: Settings) throws -> CommandSettings {
        var c = CommandSettings()
        if let v = try settings.int("commands.max_queued_per_device") { c.maxQueuedPerDevice = v }
        if let v = try settings.int("commands.max_params_bytes") { c.maxParamsBytes = v }
        if let v = try settings.int("commands.max_timeout") { c.maxTimeout = Int64(v) }
        if let v = try settings.int("commands.default_timeout") { c.defaultTimeout = Int64(v) }
        guard c.maxQueuedPerDevice >= 1, c.maxParamsBytes >= 2, c.maxTimeout >= 1,
            (1...c.maxTimeout).contains(c.defaultTimeout)
        else {
            throw SettingsError(
                "commands.max_queued_per_device, max_params_bytes (>= 2) and max_timeout must be positive; default_timeout within 1...max_timeout"
            )
        }
        return c
    }

    private static func ingest(_ settings: Settings, sqlite: Bool) throws -> IngestPipeline.Configuration {
        var i = IngestPipeline.Configuration()
        if let v = try settings.int("ingest.batch_size") { i.batchSize = max(1, v) }
        if let v = try settings.double("ingest.flush_interval") { i.flushInterval = max(0, v) }
        if let v = try settings.int("ingest.max_payload_size") { i.maxPayloadSize = v }
        if let v = try settings.int("ingest.max_queue") { i.maxQueue = max(1, v) }
        // Measured: two writers gain ~5% on PostgreSQL (one batch's round trips overlap the
        // other's work) and nothing on SQLite, whose transactions take turns anyway.
        i.writers = sqlite ? 1 : 2
        if let v = try settings.double("presence.inactivity_timeout") {
            guard v > 0 else { throw SettingsError("presence.inactivity_timeout must be > 0 seconds") }
            i.inactivityTimeout = v
        }
        for tenant in settings.keys(under: "presence.tenant_inactivity_timeout") {
            let key = "presence.tenant_inactivity_timeout." + tenant
            guard let v = try settings.double(key), v > 0 else { throw SettingsError("\(key) must be > 0 seconds") }
            i.tenantInactivityTimeouts[tenant] = v
        }
        if let v = try settings.int("ingest.writers") {
            guard (1...8).contains(v) else { throw SettingsError("ingest.writers must be 1...8") }
            i.writers = v
        }
        return i
    }
}
