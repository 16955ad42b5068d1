public import MQTTBroker
public import RoostAPI
public import RoostCore
public import UnixSignals

/// Everything a Roost server is built from: ports, storage, broker limits, ingest, API and
/// auth settings. `roost serve` resolves it from flags, environment and config file
/// (``init(settings:flags:)``); tests and embedders set the fields they need on the defaults.
public struct RoostConfiguration: Sendable {
    /// MQTT TCP port; 0 picks a free one.
    public var mqttPort = 1883
    /// HTTP port (API, dashboard, MQTT over WebSocket at `/mqtt`); 0 picks a free one.
    public var httpPort = 8080
    /// MQTT over TLS port, when TLS is configured.
    public var mqttsPort: Int?
    /// HTTPS (and WSS) port, when TLS is configured.
    public var httpsPort: Int?
    /// Where the SQLite file and generated keys live.
    public var dataDir = "./roost-data"
    /// `sqlite`, or a `postgres://user:pw@host:port/db` URL.
    public var database = "sqlite"
    /// How long PostgreSQL may take to answer at start before the server gives up.
    public var databaseConnectTimeout: Duration = .seconds(15)
    /// PostgreSQL schema to work in (`search_path`); nil for the user's default.
    public var postgresSearchPath: String?
    /// A Mosquitto-syntax ACL file for clients that are not device logins.
    public var aclFile: String?
    /// Listen address of every listener.
    public var bind = "127.0.0.1"
    /// PEM certificate chain and private key; both or neither.
    public var tlsCert: String?
    public var tlsKey: String?
    /// Broker limits and behaviour.
    public var broker = BrokerConfiguration()
    /// Topic layouts to ingest (see ``TopicLayout``).
    public var topicPresets = ["default"]
    /// Ingest batching and limits.
    public var ingest = IngestPipeline.Configuration()
    /// JWT signing secret; generated into the data directory when nil.
    public var jwtSecret: String?
    /// Access token lifetime, seconds.
    public var accessTTL: Int64 = 900
    /// bcrypt work factor for user passwords.
    public var bcryptCost: UInt8 = 10
    /// Seconds between rollup rounds once caught up; 0 turns rollups off.
    public var rollupInterval: Double = 1
    /// SQLite `synchronous`: NORMAL (false) or FULL (true).
    public var sqliteSyncFull = false
    /// Bytes of first history pages the API keeps while their device has no new data; 0: none.
    public var historyCacheBytes = 64 << 20
    /// Realtime WebSocket limits.
    public var realtime = RealtimeConfiguration()
    /// Command limits and the expiry sweep.
    public var commands = CommandSettings()
    /// How often schedules are looked at, and the grace of a missed run.
    public var schedules = ScheduleSettings()
    /// Alert sweeps and webhook retries.
    public var alerts = AlertSettings()
    /// How long tenants' raw telemetry and rollups are kept.
    public var retention = RetentionSettings()
    /// The largest desired or reported shadow document, in bytes.
    public var shadowMaxBytes = 16 << 10
    /// The first admin, created on an empty store (`ROOST_ADMIN_EMAIL`/`ROOST_ADMIN_PASSWORD`);
    /// without a password one is generated and logged once.
    public var adminEmail: String?
    public var adminPassword: String?
    /// The bearer token an external broker sends to `/api/v1/broker/…` (`broker_auth.token`);
    /// without one, only callers on this host are answered.
    public var brokerAuthToken: String?
    /// An external broker to consume devices' messages from instead of (or beside, with
    /// ``ExternalBrokerSettings/keepListener``) the own listener; nil: the own broker only.
    public var externalBroker: ExternalBrokerSettings?
    /// Hooks that run before Roost's own: authenticators after device logins, authorizers
    /// after the device templates and before the ACL file, interceptors and observers first.
    /// With authenticators or authorizers here, clients that are not devices are left to them
    /// (no open default).
    public var hooks = BrokerHooks()
    /// Signals that shut the server down gracefully (`roost serve`: SIGTERM and SIGINT).
    public var shutdownSignals: [UnixSignal] = []
    /// Time for receive times, status and schedules.
    public var clock: any EpochClock = SystemEpochClock()

    /// The defaults (`roost serve` with no flags, file or environment).
    public init() {}

    /// `true` when `bind` is a loopback address (where anonymous clients are let in).
    public var bindsLoopback: Bool {
        ["127.0.0.1", "::1", "localhost"].contains(bind) || bind.hasPrefix("127.")
    }

    /// The database `database` names.
    public var databaseLocation: DatabaseLocation {
        get throws(SettingsError) {
            try DatabaseLocation(
                database, dataDir: dataDir, synchronousFull: sqliteSyncFull, searchPath: postgresSearchPath)
        }
    }
}
