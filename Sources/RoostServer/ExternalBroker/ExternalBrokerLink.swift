import Logging
import MQTTBroker
import MQTTClient
import MQTTCore
import Metrics
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import NIOSSL
import ServiceLifecycle

/// This node's connection to an external broker (`roost serve --broker`). It subscribes to the
/// uplink topics through a shared subscription (`$share/roost/…`), so that each message reaches
/// one node of the fleet, and hands every message to the broker in this process as
/// ``ClientInfo/bridge``: the ingest pipeline, the command and shadow trackers see it as they
/// see a device's. A QoS 1/2 message is acknowledged to the external broker only once the
/// ingest has committed it; the session is persistent (clean start false, a session expiry),
/// so a node that restarts or reconnects is sent again what it had not acknowledged. Commands
/// and shadow deltas go out through ``publish(topic:payload:properties:)``.
final class ExternalBrokerLink: Service, Sendable {
    let settings: ExternalBrokerSettings
    /// The plain uplink filters (`+/devices/+/telemetry`, …), shared on subscribe.
    let filters: [String]
    let late: LateBroker
    let logger: Logger
    private let current = NIOLockedValueBox<MQTTClient?>(nil)
    private let onConnect: @Sendable () -> Void
    /// Topics of the fleet's own (not devices'), subscribed plainly and handled here.
    private let plain = NIOLockedValueBox<[(filter: String, handler: @Sendable (PublishPacket) -> Void)]>([])
    private let connectActions = NIOLockedValueBox<[@Sendable () -> Void]>([])
    /// Published by the broker when this node's connection is lost (or it leaves with 0x04).
    let will: Will?
    private let bridged = Counter(label: "roost_external_broker_messages_total")
    private let refused = Counter(label: "roost_external_broker_messages_refused_total")
    private let connects = Counter(label: "roost_external_broker_connects_total")

    /// A link for `filters`; `onConnect` runs after every (re)connect and subscribe (queued
    /// commands of online devices are sent then).
    init(
        settings: ExternalBrokerSettings, filters: [String], broker: LateBroker, logger: Logger, will: Will? = nil,
        onConnect: @escaping @Sendable () -> Void = {}
    ) {
        self.will = will
        self.settings = settings
        var seen = Set<String>()
        self.filters = filters.filter { seen.insert($0).inserted }
        self.late = broker
        self.logger = logger
        self.onConnect = onConnect
    }

    /// Subscribes (QoS 1) to `filter` at every connect, and hands the messages it matches to
    /// `handler` instead of the broker in this process; `$share/…` filters are shared as any.
    /// Called before ``run()``.
    func addPlainSubscription(_ filter: String, handler: @escaping @Sendable (PublishPacket) -> Void) {
        plain.withLockedValue { $0.append((filter, handler)) }
    }

    /// Runs `action` after every (re)connect and subscribe.
    func addConnectAction(_ action: @escaping @Sendable () -> Void) {
        connectActions.withLockedValue { $0.append(action) }
    }

    /// Whether the link is up and subscribed (`/ready` waits for it).
    var isConnected: Bool { current.withLockedValue { $0?.isConnected ?? false } }

    /// Connects, subscribes, and on a loss reconnects with backoff (0.5 s doubling to 30 s),
    /// trying the next URL of the list after a failed attempt, until graceful shutdown.
    func run() async throws {
        await withGracefulShutdownHandler {
            await self.connectLoop()
        } onGracefulShutdown: {
            // Leaving with the will (5.0) tells the other nodes this one is gone.
            let reason: ReasonCode =
                self.will != nil && self.settings.protocolVersion == .v5 ? .disconnectWithWill : .normalDisconnection
            Task { await self.current.withLockedValue({ $0 })?.disconnect(reasonCode: reason) }
        }
        current.withLockedValue { $0 = nil }
    }

    private func connectLoop() async {
        var index = 0
        var failures = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let url = settings.urls[index % settings.urls.count]
            do {
                let client = try makeClient(url)
                let connack = try await client.connect()
                try await subscribe(client, url: url)
                current.withLockedValue { $0 = client }
                connects.increment()
                failures = 0
                logger.notice(
                    "connected to the external broker \(url) as \(settings.clientID)",
                    metadata: ["session_present": "\(connack.sessionPresent)", "filters": "\(filters.count)"])
                onConnect()
                for action in connectActions.withLockedValue({ $0 }) { action() }
                if Task.isShuttingDownGracefully { await client.disconnect() }
                await client.closed()
                current.withLockedValue { $0 = nil }
                if Task.isShuttingDownGracefully { break }
                logger.warning("lost the external broker \(url); reconnecting")
            } catch {
                failures += 1
                logger.warning("cannot use the external broker \(url): \(error)")
                if settings.urls.count > 1 { index += 1 }
            }
            let delay = min(30, 0.5 * Double(1 << min(max(failures - 1, 0), 6)))
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .milliseconds(Int64(delay * 1000))) }
        }
    }

    private func makeClient(_ url: ExternalBrokerURL) throws -> MQTTClient {
        var c = MQTTClientConfiguration(
            host: url.host, port: url.port, clientID: settings.clientID, protocolVersion: settings.protocolVersion)
        c.cleanStart = false
        c.username = url.username
        c.password = url.password
        c.webSocketPath = url.webSocketPath
        c.acknowledgesManually = true
        c.keepAlive = 30
        c.will = will
        if settings.protocolVersion == .v5 {
            c.sessionExpiry = settings.sessionExpiry
            c.receiveMaximum = settings.receiveMaximum
        }
        if url.tls {
            var tls = TLSConfiguration.makeClientConfiguration()
            if let ca = settings.caFile { tls.trustRoots = .file(ca) }
            c.tls = tls
        }
        let client = MQTTClient(configuration: c, logger: logger)
        // Fixed before run(): read once here, not under a lock for every message.
        let plain = self.plain.withLockedValue { $0 }.map { (SharedFilter($0.filter)?.filter ?? $0.filter, $0.handler) }
        client.setMessageHandler(acknowledging: { [weak client] publish, receipt in
            guard let client else { return }
            self.take(publish, receipt: receipt, from: client, plain: plain)
        })
        return client
    }

    /// Subscribes to every uplink filter, shared; a refused one is an error (an ACL on the
    /// broker that does not let this node read devices' topics), retried like a lost link.
    private func subscribe(_ client: MQTTClient, url: ExternalBrokerURL) async throws {
        let subscriptions =
            filters.map { Subscription(filter: settings.shared($0), qos: .atLeastOnce) }
            + plain.withLockedValue { $0.map { Subscription(filter: $0.filter, qos: .atLeastOnce) } }
        let suback = try await client.subscribe(subscriptions)
        let refusedFilters = zip(subscriptions, suback.reasonCodes).filter { $0.1.isFailure }.map { "\($0.0.filter) (\($0.1))" }
        guard refusedFilters.isEmpty else {
            await client.disconnect()
            throw SettingsError(
                "\(url) refused the subscriptions \(refusedFilters.joined(separator: ", ")): let user \(url.username ?? "(anonymous)") subscribe to them (shared subscriptions on)"
            )
        }
    }

    /// One message from the external broker (on its connection's event loop): through the gate
    /// of the broker in this process; acknowledged once whatever holds it (the ingest) is done.
    private func take(
        _ publish: PublishPacket, receipt: InboundReceipt?, from client: MQTTClient,
        plain: [(filter: String, handler: @Sendable (PublishPacket) -> Void)]
    ) {
        if let handler = plain.first(where: { Topic.matches(filter: $0.filter, name: publish.topic) })?.handler {
            handler(publish)
            if let receipt { client.acknowledge(receipt) }
            return
        }
        bridged.increment()
        let message = Message(
            topic: publish.topic, payload: publish.payload, qos: publish.qos, retain: false,
            properties: publish.properties, publisherID: ClientInfo.bridge.clientID)
        let loop = receipt?.eventLoop ?? MultiThreadedEventLoopGroup.currentEventLoop ?? MultiThreadedEventLoopGroup.singleton.next()
        guard let broker = late.broker else { return }
        switch broker.publish(message, from: .bridge, on: loop) {
        case .rejected(let code):
            // Refused for good (an interceptor): acknowledged, or the broker resends it forever.
            refused.increment()
            logger.info("refused a message from the external broker", metadata: ["topic": "\(publish.topic)", "reason": "\(code)"])
            if let receipt { client.acknowledge(receipt) }
        case .routed(let commit):
            guard let receipt else { return }
            guard let commit else {
                client.acknowledge(receipt)
                return
            }
            commit.whenComplete { result in
                switch result {
                case .success: client.acknowledge(receipt)
                case .failure(let error):
                    // Not stored: unacknowledged, and the connection dropped so that the broker
                    // sends it again once this node reconnects.
                    self.logger.error("ingest failed for a message from the external broker: \(error); reconnecting")
                    Task { await client.dropConnection() }
                }
            }
        }
    }

    /// Publishes to the external broker (a command, a shadow delta: QoS 1); `false` when the
    /// link is down. `completion` learns whether the broker took it (PUBACK).
    @discardableResult
    func publish(
        topic: String, payload: [UInt8], properties: Properties = .init(), qos: QoS = .atLeastOnce,
        retain: Bool = false, completion: (@Sendable (Bool) -> Void)? = nil
    ) -> Bool {
        guard let client = current.withLockedValue({ $0 }), client.isConnected else { return false }
        let future: EventLoopFuture<AckPacket>?
        do {
            future = try client.startPublish(
                topic: topic, payload: ByteBuffer(bytes: payload), qos: qos, retain: retain, properties: properties)
        } catch {
            return false
        }
        guard let future else {
            completion?(true)
            return true
        }
        let logger = self.logger
        future.whenComplete { result in
            switch result {
            case .success(let ack) where !ack.reasonCode.isFailure:
                completion?(true)
            case .success(let ack):
                logger.warning("the external broker refused a message", metadata: ["topic": "\(topic)", "reason": "\(ack.reasonCode)"])
                completion?(false)
            case .failure(let error):
                logger.warning("the external broker did not take a message", metadata: ["topic": "\(topic)", "error": "\(error)"])
                completion?(false)
            }
        }
        return true
    }
}
