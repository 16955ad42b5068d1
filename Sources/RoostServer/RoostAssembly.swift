import Foundation
import Logging
import MQTTBroker
import NIOCore
import NIOSSL
import RoostAPI
import RoostCore
import RoostStore
import ServiceLifecycle

/// The wiring of ``buildApplication(_:logger:)``, one step a method.
struct RoostAssembly {
    let configuration: RoostConfiguration
    let stores: RoostStores
    let logger: Logger
    /// The ACL file once read (the application reloads it on SIGHUP).
    let acl = LateBox<ReloadableACLFile>()

    /// A logger for one part: its own label, the level of the one the assembly was given.
    func child(_ label: String) -> Logger {
        var part = Logger(label: label)
        part.logLevel = logger.logLevel
        return part
    }

    func build() async throws -> RoostApplication {
        logger.info("database: \(stores.location)")
        let layout = try TopicLayout(presets: configuration.topicPresets)
        logger.info("topic presets: \(configuration.topicPresets.joined(separator: ", "))")
        // The commands publish through the broker (or the external broker's link), whose hooks
        // hold their tracker: the broker is handed to them once it exists.
        let late = LateBroker()
        let link = externalLink(layout: layout, late: late)
        // Behind an external broker, the nodes' sockets see each other's events through it.
        let realtime: any RealtimeBus = link.map {
            FleetRealtimeBus(local: LocalRealtimeHub(), topics: $0.topics, link: $0.link, logger: child("roost.fleet"))
        } ?? LocalRealtimeHub()
        let webhooks = WebhookDispatcher(
            store: stores.api, sender: HTTPWebhookSender(), settings: configuration.alerts, clock: configuration.clock,
            logger: child("roost.webhooks"))
        let alerts = AlertEngine(
            store: stores.api, bus: realtime, settings: configuration.alerts, webhooks: webhooks,
            clock: configuration.clock, logger: child("roost.alerts"))
        let commands = CommandService(
            store: stores.api, transport: commandTransport(link: link, layout: layout, late: late), layout: layout,
            bus: realtime, settings: configuration.commands, clock: configuration.clock, logger: child("roost.commands"))
        link?.commands.set(commands)
        let tracker = CommandTracker(
            service: commands, layout: layout, filters: { late.broker?.subscriptionFilters(of: $0) ?? [] })
        let shadows = ShadowService(
            store: stores.api, transport: link.map { ExternalShadowTransport(link: $0.link) } ?? BrokerShadowTransport(late: late),
            layout: layout, bus: realtime, maxDocumentBytes: configuration.shadowMaxBytes, clock: configuration.clock,
            logger: child("roost.shadow"))
        var commitObservers: [any IngestCommitObserver] = [IngestRealtimeFeed(bus: realtime), alerts]
        if link != nil { commitObservers.append(OnlineDispatch(commands: commands, shadows: shadows)) }
        let ingest = IngestPipeline(
            layout: layout, store: stores.ingest, configuration: configuration.ingest, clock: configuration.clock,
            commitObservers: commitObservers, logger: child("roost.ingest"))
        if let link, let events = link.settings.clientEvents {
            BrokerClientEvents(prefix: events, credentials: stores.credentials, ingest: ingest, logger: child("roost.external-broker"))
                .attach(to: link.link, group: link.settings.shareGroup)
        }
        let shadowTracker = ShadowTracker(
            service: shadows, layout: layout, filters: { late.broker?.subscriptionFilters(of: $0) ?? [] })
        let broker = Broker(
            configuration: configuration.broker,
            hooks: try hooks(layout: layout, observers: [ingest, tracker, shadowTracker]),
            persistence: stores.broker, logger: child("roost.mqtt"))
        late.set(broker)
        try await broker.start()
        var api = try await makeAPI(broker: broker, ingest: ingest, realtime: realtime)
        api.commands = commands
        api.shadows = shadows
        api.alerts = alerts
        api.clock = configuration.clock
        // An external broker (EMQX, Mosquitto with go-auth) may ask for device logins and ACLs.
        api.brokerAccess = BrokerAccessService(credentials: stores.credentials, layout: layout)
        api.brokerAuthToken = configuration.brokerAuthToken
        let scheduler = Scheduler(
            store: stores.api, commands: commands, settings: configuration.schedules, clock: configuration.clock,
            logger: child("roost.schedules"))
        api.scheduler = scheduler
        api.webhooks = webhooks
        let admin = try await bootstrapAdmin(api)
        try await restorePresence(ingest)

        // Shut down in reverse: HTTP and listeners first, then the broker disconnects clients,
        // then ingest commits what is queued, then the stores close.
        var services: [any Service] = [stores.service]
        if configuration.rollupInterval > 0 {
            services.append(
                RollupCompactor(
                    store: stores.api, interval: .milliseconds(Int64(configuration.rollupInterval * 1000)),
                    epochClock: configuration.clock, logger: child("roost.rollup")))
        } else {
            logger.notice("rollups are off (aggregate.rollup_interval = 0): aggregates read raw rows")
        }
        if configuration.retention.isActive {
            services.append(
                RetentionJob(
                    store: stores.api, settings: configuration.retention, rollupsOn: configuration.rollupInterval > 0,
                    clock: configuration.clock, logger: child("roost.retention")))
        }
        // Alerts and webhooks stop after ingest has committed (and evaluated) its last batch.
        services += [webhooks, alerts, ingest, commands, broker, scheduler]
        // Behind an external broker the own listener stays closed unless asked for; the link
        // stops before the broker and ingest, so what it handed over is still committed.
        var mqtt: MQTTListener?
        if link?.settings.keepListener ?? true {
            mqtt = MQTTListener(broker: broker, configuration: .init(host: configuration.bind, port: configuration.mqttPort))
        }
        if let mqtt { services.append(mqtt) }
        if let link { services.append(link.link) }
        api.brokerReady = { [mqtt, link] in (mqtt?.isListening ?? true) && (link?.link.isConnected ?? true) }
        let httpIngest = HTTPIngest(broker: broker, layout: layout, credentials: stores.credentials)
        let http = BoundPort()
        services.append(
            try HTTPServer.makeApplication(
                broker: broker, configuration: .init(host: configuration.bind, port: configuration.httpPort),
                logger: child("roost.http"), ingest: httpIngest, api: api,
                onBound: { [logger] port in
                    http.set(port)
                    // Printed once, on the first start only: there is no fixed default password.
                    if let admin {
                        logger.notice(
                            "created the first admin: log in at http://\(configuration.bind):\(port)/ as \(admin.email) with password \(admin.password) (shown once; change it, or set ROOST_ADMIN_PASSWORD before the first start)"
                        )
                    }
                }))
        var mqtts: MQTTListener?
        var https: BoundPort?
        if let tls = try tlsConfiguration() {
            if let port = configuration.mqttsPort {
                let listener = MQTTListener(
                    broker: broker,
                    configuration: .init(host: configuration.bind, port: port, tls: try NIOSSLContext(configuration: tls)))
                services.append(listener)
                mqtts = listener
            }
            if let port = configuration.httpsPort {
                let bound = BoundPort()
                services.append(
                    try HTTPServer.makeApplication(
                        broker: broker, configuration: .init(host: configuration.bind, port: port, tls: tls),
                        logger: child("roost.https"), ingest: httpIngest, api: api,
                        onBound: { bound.set($0) }))
                https = bound
            }
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services.map { .init(service: $0, failureTerminationBehavior: .gracefullyShutdownGroup) },
                gracefulShutdownSignals: configuration.shutdownSignals,
                logger: logger))
        return RoostApplication(
            serviceGroup: group, configuration: configuration, stores: stores, broker: broker, ingest: ingest, api: api,
            generatedAdmin: admin, mqttListener: mqtt, mqttsListener: mqtts, http: http, https: https, acl: acl.value)
    }

    /// The hook chain: the configuration's own hooks, device logins and templates, the ACL
    /// file; the ingest pipeline and the command tracker observe.
    func hooks(layout: TopicLayout, observers: [any MQTTObserver]) throws -> BrokerHooks {
        let extra = configuration.hooks
        var hooks = BrokerHooks()
        // Device logins first; other users go to the given authenticators, or anywhere when
        // anonymous access is on and there are none.
        hooks.authenticators.append(
            DeviceAuthenticator(
                credentials: stores.credentials,
                allowOtherUsers: configuration.broker.allowAnonymous && extra.authenticators.isEmpty))
        hooks.authenticators += extra.authenticators
        // Devices keep to their templates; other clients follow the given authorizers and the
        // ACL file, or go anywhere when there is neither.
        let open = configuration.aclFile == nil && extra.authorizers.isEmpty
        hooks.authorizers.append(DeviceAuthorizer(layout: layout, openForOthers: open))
        hooks.authorizers += extra.authorizers
        if let acl = try aclFile() {
            hooks.authorizers.append(acl)
            logger.info("acl file \(acl.path) loaded (SIGHUP reads it again)")
        }
        hooks.interceptors = extra.interceptors
        hooks.observers = extra.observers + observers
        if !configuration.broker.allowAnonymous {
            logger.notice("anonymous clients are refused: only device logins may connect")
        }
        return hooks
    }

    /// The configured ACL file, read once here; nil without one.
    func aclFile() throws -> ReloadableACLFile? {
        guard let path = configuration.aclFile else { return nil }
        if let made = acl.value { return made }
        do {
            let made = try ReloadableACLFile(path: path)
            acl.set(made)
            return made
        } catch {
            throw SettingsError("the ACL file: \(error)")
        }
    }

    /// Devices the store has online from before this start: nothing vouches for them until
    /// they are heard again, so the inactivity sweep counts from when they last were.
    func restorePresence(_ ingest: IngestPipeline) async throws {
        var query = DeviceQuery(status: "online", limit: 1000)
        var restored = 0
        while true {
            let page = try await stores.api.devices(query).devices
            ingest.restorePresence(
                page.map { (DeviceKey(tenant: $0.tenant, uid: $0.uid), $0.lastSeen ?? $0.statusAt ?? $0.createdAt) })
            restored += page.count
            guard page.count == query.limit, let last = page.last else { break }
            query.afterID = last.id
        }
        if restored > 0 { logger.info("\(restored) devices online before the restart: offline after their inactivity timeout unless heard") }
    }

    /// The REST API over the stores.
    func makeAPI(broker: Broker, ingest: IngestPipeline, realtime: any RealtimeBus) async throws -> RoostAPI {
        let secret = try TokenService.secret(configured: configuration.jwtSecret, dataDir: configuration.dataDir)
        let tokens = await TokenService.make(
            secret: secret, accessTTL: configuration.accessTTL, bcryptCost: configuration.bcryptCost)
        let store = stores.api
        return RoostAPI(
            store: store, tokens: tokens, broker: broker, ingest: ingest, realtime: realtime,
            realtimeConfiguration: configuration.realtime,
            storeReady: { (try? await store.userCount()) != nil }, historyCacheBytes: configuration.historyCacheBytes)
    }

    /// Creates the first platform admin on an empty store; returns a generated password, which
    /// is logged once the HTTP port is known.
    func bootstrapAdmin(_ api: RoostAPI) async throws -> (email: String, password: String)? {
        guard
            let admin = try await api.bootstrapAdmin(
                email: configuration.adminEmail, password: configuration.adminPassword,
                now: configuration.clock.nowMilliseconds())
        else { return nil }
        guard let generated = admin.generatedPassword else {
            logger.notice("created the first admin \(admin.email) with the password from ROOST_ADMIN_PASSWORD")
            return nil
        }
        return (admin.email, generated)
    }

    /// TLS from the PEM files, when configured.
    func tlsConfiguration() throws -> TLSConfiguration? {
        guard let cert = configuration.tlsCert, let key = configuration.tlsKey else { return nil }
        do {
            return TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem)))
        } catch {
            throw SettingsError("cannot load the TLS certificate \(cert) or key \(key): \(error)")
        }
    }
}
