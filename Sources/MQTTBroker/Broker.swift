public import Logging
public import MQTTCore
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix

/// The MQTT broker: sessions, routing, retained messages and wills. Listeners feed it
/// connections; the inline client and the HTTP side reach it in-process.
public final class Broker: Sendable {
    /// A connected client's connection, reachable from any thread.
    struct ActiveConnection: Sendable {
        let id: ObjectIdentifier
        let bound: NIOLoopBound<MQTTConnection>
    }

    struct Registry {
        var sessions: [String: Session] = [:]
        var active: [String: ActiveConnection] = [:]
        var wills: [String: Scheduled<Void>] = [:]
        var expiries: [String: Scheduled<Void>] = [:]
        var connections = 0
    }

    public let configuration: BrokerConfiguration
    public let hooks: BrokerHooks
    public let logger: Logger
    /// Live counters.
    public let stats = BrokerStats()
    /// Failed logins, by address and user name: later answers, then refusals unchecked.
    public let loginThrottle: LoginThrottle
    let tree = TopicTree()
    let registry = NIOLockedValueBox(Registry())
    /// One keep alive wheel per event loop that has connections.
    let keepAliveWheels = NIOLockedValueBox<[ObjectIdentifier: NIOLoopBound<KeepAliveWheel>]>([:])
    let timerLoop: any EventLoop
    let persistence: (any BrokerPersistence)?
    let writer: PersistenceWriter?
    let startedAt = NIODeadline.now()

    /// Creates a broker. `persistence` keeps persistent sessions and retained messages across
    /// restarts; without it they live in memory only.
    public init(
        configuration: BrokerConfiguration = .init(), hooks: BrokerHooks = .init(),
        persistence: (any BrokerPersistence)? = nil, logger: Logger = Logger(label: "roost.mqtt"),
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.configuration = configuration
        self.loginThrottle = LoginThrottle(limits: configuration.loginThrottle)
        self.hooks = hooks
        self.logger = logger
        self.persistence = persistence
        self.writer = persistence.map { PersistenceWriter(store: $0, logger: logger) }
        self.timerLoop = eventLoopGroup.next()
    }

    // MARK: Connections

    /// Counts a new connection; `false` when the limit is reached.
    func connectionOpened() -> Bool {
        registry.withLockedValue { r in
            guard r.connections < configuration.maxConnections else { return false }
            r.connections += 1
            return true
        }
    }

    func connectionClosed() {
        registry.withLockedValue { $0.connections -= 1 }
    }

    func clientConnected(_ client: ClientInfo) {
        stats.connected.add(1, ordering: .relaxed)
        stats.connectionsTotal.add(1, ordering: .relaxed)
        for observer in hooks.observers { observer.clientConnected(client) }
    }

    func subscribed(_ client: ClientInfo, _ sub: Subscription) {
        for observer in hooks.observers { observer.subscribed(client, to: sub) }
    }

    func unsubscribed(_ client: ClientInfo, _ filter: String) {
        for observer in hooks.observers { observer.unsubscribed(client, from: filter) }
    }

    func delivered(_ message: Message, to client: ClientInfo) {
        for observer in hooks.observers { observer.messageDelivered(message, to: client) }
    }

    // MARK: Publishing

    /// Publishes a message from `client`: through the gate (``admit(_:from:)``: authorizers,
    /// then interceptors), then to subscribers, the retained store and observers. Every publish
    /// passes the gate (socket, WebSocket, HTTP ingest, inline, wills), so an ACL or an
    /// interceptor holds on every path. `.routed` carries a future when an observer (the
    /// ingest pipeline) holds the publisher's acknowledgement until it succeeds.
    @discardableResult
    public func publish(_ message: Message, from client: ClientInfo, on eventLoop: any EventLoop) -> PublishResult {
        switch admit(message, from: client) {
        case .rejected(let code): .rejected(code)
        case .admitted(let admitted): .routed(commit: route(admitted, on: eventLoop))
        }
    }

    /// The gate alone: whether `client` may publish `message`, and the message as the
    /// interceptors left it. A caller with several messages that must all or none be routed
    /// (HTTP batch ingest) admits them all first, then routes them with ``route(_:on:)``.
    public func admit(_ message: Message, from client: ClientInfo) -> Admission {
        guard hooks.authorize(client, .publish, topic: message.topic) else {
            stats.denied()
            logger.info("publish denied", metadata: ["client": "\(client.clientID)", "topic": "\(message.topic)"])
            return .rejected(.notAuthorized)
        }
        var message = message
        for interceptor in hooks.interceptors {
            switch interceptor.intercept(message, from: client) {
            case .accept(let rewritten): message = rewritten
            case .reject(let code): return .rejected(code)
            }
        }
        return .admitted(AdmittedMessage(message: message, client: client))
    }

    /// Routes an admitted message; returns its commit future (nil when no observer waits).
    @discardableResult
    public func route(_ admitted: AdmittedMessage, on eventLoop: any EventLoop) -> EventLoopFuture<Void>? {
        route(admitted.message, from: admitted.client, on: eventLoop).commit
    }

    /// What routing one message produced.
    struct RouteOutcome {
        /// Completes when observers are done with it (ack-after-commit); nil when none waits.
        var commit: EventLoopFuture<Void>?
        /// Connected subscribers whose queues are past the slow-consumer mark.
        var congested: [Session]
    }

    /// Routing after the gate: retained store, subscribers, observers.
    func route(_ message: Message, from client: ClientInfo, on eventLoop: any EventLoop) -> RouteOutcome {
        if message.retain {
            tree.setRetained(message)
            // $SYS topics are rebuilt at start, never stored.
            if message.topic.hasPrefix("$SYS/") {
            } else if message.payload.readableBytes == 0 {
                writer?.submit(.deleteRetained(message.topic))
            } else {
                writer?.submit(.saveRetained(message.topic, StoredMessage(message, qos: message.qos, retain: true)))
            }
        }
        let targets = tree.match(message.topic, publisherID: message.publisherID)
        var congested: [Session] = []
        for target in targets {
            let slow = target.session.deliver(
                message, qos: min(message.qos, target.qos),
                retain: target.retainAsPublished ? message.retain : false,
                subscriptionIDs: target.subscriptionIDs)
            if slow { congested.append(target.session) }
        }
        stats.messageDelivered(targets.count)
        // The usual case, one observer that stores the message, needs no array.
        var commit: EventLoopFuture<Void>?
        var more: [EventLoopFuture<Void>] = []
        for observer in hooks.observers {
            guard let future = observer.messagePublished(message, from: client, on: eventLoop) else { continue }
            if commit == nil { commit = future } else { more.append(future) }
        }
        if let first = commit, !more.isEmpty {
            commit = EventLoopFuture.andAllSucceed([first] + more, on: eventLoop)
        }
        return RouteOutcome(commit: commit, congested: congested)
    }

    /// Publishes from inside the server (the HTTP API, the WebSocket hub, tests), through the
    /// same gate as any client: as ``ClientInfo/server`` (a superuser, so authorizers let it
    /// through, but interceptors see it) unless another identity is given. A message with an
    /// `attachment` is reported to observers when a subscriber acknowledges it
    /// (``MQTTObserver/messageDelivered(_:to:)``).
    @discardableResult
    public func publish(
        topic: String, payload: ByteBuffer, qos: QoS = .atMostOnce, retain: Bool = false,
        properties: Properties = .init(), from client: ClientInfo = .server,
        attachment: (any AnyObject & Sendable)? = nil
    ) -> PublishResult {
        let message = Message(
            topic: topic, payload: payload, qos: qos, retain: retain, properties: properties,
            publisherID: client.clientID, attachment: attachment)
        return publish(message, from: client, on: timerLoop)
    }

    /// Number of sessions a message on `topic` would be delivered to now.
    public func subscriberCount(for topic: String) -> Int {
        tree.match(topic, publisherID: nil).count
    }

    /// Whether a connected client (not an in-process subscription) would receive a message on
    /// `topic` now through a subscription whose filter `counts`: a command is sent only when
    /// its device listens (not a monitor on `#`), and waits in the store otherwise.
    public func hasConnectedSubscriber(
        for topic: String, counting counts: (String) -> Bool = { _ in true }
    ) -> Bool {
        tree.match(topic, publisherID: nil).contains { target in
            let session = target.session
            guard session.isConnected, !session.clientID.hasPrefix(Self.inlinePrefix) else { return false }
            return session.subscriptions.contains { sub, _ in
                let filter = SharedFilter(sub.filter)?.filter ?? sub.filter
                return counts(filter) && Topic.matches(filter: filter, name: topic)
            }
        }
    }

    /// The subscription filters of a client's session (empty when it has none).
    public func subscriptionFilters(of clientID: String) -> [String] {
        guard let session = registry.withLockedValue({ $0.sessions[clientID] }) else { return [] }
        return session.subscriptions.map(\.0.filter)
    }

    /// Client ids of in-process subscriptions start with this.
    static let inlinePrefix = "$inline/"

    /// Number of retained messages held.
    public var retainedCount: Int { tree.retainedCount }

    /// Number of sessions, connected or not.
    public var sessionCount: Int { registry.withLockedValue { $0.sessions.count } }
}
