import Hummingbird
public import MQTTBroker
public import RoostCore
public import RoostStore

/// The REST API under `/api/v1`: what it needs, and where its routes are registered. Route
/// groups live in `Routes/` (auth, tenants and users, devices, telemetry, stats).
public struct RoostAPI: Sendable {
    public var store: any APIStore
    public var tokens: TokenService
    public var broker: Broker
    /// The ingest pipeline: counters for `/stats` and `/metrics`, and told when devices were
    /// deleted (it forgets their cached ids). Nil when the server ingests nothing.
    public var ingest: (any IngestControl)?
    /// Where live events come from (ingest after commit, commands): the realtime sockets'.
    public var realtime: any RealtimeBus
    /// Commands to devices; nil when the server sends none (then the command routes answer 503).
    public var commands: CommandService?
    /// Device shadows; nil when the server keeps none (then the shadow routes answer 503).
    public var shadows: ShadowService?
    /// Alert rules and alerts; nil when the server evaluates none (then the alert routes answer 503).
    public var alerts: AlertEngine?
    /// Schedules, for `/metrics` (their routes need only the store and ``commands``).
    public var scheduler: Scheduler?
    /// Alert webhooks, for `/metrics`.
    public var webhooks: WebhookDispatcher?
    /// The time schedules are computed against (the server's configured clock; tests inject one).
    public var clock: any EpochClock = SystemEpochClock()
    /// Limits of realtime sockets.
    public var realtimeConfiguration: RealtimeConfiguration
    /// Device logins and topic access for an external broker asking over HTTP; nil: not served.
    public var brokerAccess: BrokerAccessService?
    /// The bearer token such a broker must send (`broker_auth.token`); nil: loopback callers only.
    public var brokerAuthToken: String?
    /// Whether the store answers (for `/ready`).
    public var storeReady: @Sendable () async -> Bool
    /// Whether the broker's listeners accept connections (for `/ready`).
    public var brokerReady: @Sendable () -> Bool = { true }
    let limiter = LoginLimiter()
    /// First history pages kept while their device's data is unchanged.
    let historyCache: HistoryCache

    public init(
        store: any APIStore, tokens: TokenService, broker: Broker,
        ingest: (any IngestControl)? = nil,
        realtime: any RealtimeBus = LocalRealtimeHub(), realtimeConfiguration: RealtimeConfiguration = .init(),
        storeReady: @escaping @Sendable () async -> Bool = { true },
        historyCacheBytes: Int = 64 << 20
    ) {
        self.historyCache = HistoryCache(capacity: historyCacheBytes)
        self.store = store
        self.tokens = tokens
        self.broker = broker
        self.ingest = ingest
        self.realtime = realtime
        self.realtimeConfiguration = realtimeConfiguration
        self.storeReady = storeReady
    }

    func register(on router: Router<RoostRequestContext>, recorder: RouteRecorder = RouteRecorder()) {
        if let brokerAccess {
            BrokerAuthRoutes(access: brokerAccess, throttle: broker.loginThrottle, token: brokerAuthToken)
                .register(on: router, recorder: recorder)
        }
        let v1 = APIGroup(
            group: router.group("/api/v1").add(middleware: AuthMiddleware(tokens: tokens, users: store)),
            prefix: "/api/v1",
            recorder: recorder)
        AuthRoutes(api: self).register(on: v1)
        AdminRoutes(api: self).register(on: v1)
        DeviceRoutes(api: self).register(on: v1)
        TelemetryRoutes(api: self).register(on: v1)
        StatsRoutes(api: self).register(on: v1)
        CommandRoutes(api: self).register(on: v1)
        ShadowRoutes(api: self).register(on: v1)
        AlertRoutes(api: self).register(on: v1)
        ScheduleRoutes(api: self).register(on: v1)
        RealtimeRoutes(api: self).register(on: v1)
    }

    /// A device was created, changed or deleted through the API: the parts that keep facts
    /// about devices in memory read it again.
    func deviceChanged(_ id: Int64) async {
        await alerts?.deviceChanged(id)
    }

    /// Closes the MQTT connections that logged in with a device's credentials (of every device
    /// of the tenant when `uid` is nil): they were rotated or the device deleted. A connection
    /// already made with the new credentials (`keeping`, their user name) stays.
    func revokeLogins(tenant: String, uid: String?, keeping username: String? = nil) async {
        brokerAccess?.forget()
        await broker.revoke { client in
            client.attributes["tenant"] == tenant && client.attributes["device"] != nil
                && (uid == nil || client.attributes["device"] == uid)
                && (username == nil || client.username != username)
        }
    }

    /// Who a token (access token or personal API key) is; nil when it is invalid or expired.
    public func identity(forToken token: String) async -> Identity? {
        try? await AuthMiddleware.identity(token, tokens: tokens, users: store)
    }

    /// Creates the first platform admin when the store has no users: from `email`/`password`,
    /// or with a generated password returned (to be printed once). Nil when users exist.
    public func bootstrapAdmin(email: String?, password: String?, now: Int64) async throws -> (
        email: String, generatedPassword: String?
    )? {
        guard try await store.userCount() == 0 else { return nil }
        let address = (email ?? "admin@roost.local").lowercased()
        let secret = password ?? TokenService.randomToken(bytes: 15)
        guard secret.count >= 8 else { throw TokenServiceError("ROOST_ADMIN_PASSWORD must be at least 8 characters") }
        _ = try await store.createUser(
            email: address, name: "Administrator", role: .platformAdmin, tenantID: nil,
            passwordHash: try await tokens.hashPassword(secret),
            now: now)
        return (address, password == nil ? secret : nil)
    }
}
