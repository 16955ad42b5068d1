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
    let tree = TopicTree()
    let registry = NIOLockedValueBox(Registry())
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

    // MARK: Routing

    /// Routes a message to its subscribers and stores it if retained. Returns a future when an
    /// observer (the ingest pipeline) wants the publisher's acknowledgement held until it succeeds.
    @discardableResult
    public func publish(_ message: Message, from client: ClientInfo?, on eventLoop: any EventLoop) -> EventLoopFuture<
        Void
    >? {
        route(message, from: client, on: eventLoop).commit
    }

    /// What routing one message produced.
    struct RouteOutcome {
        /// Completes when observers are done with it (ack-after-commit); nil when none waits.
        var commit: EventLoopFuture<Void>?
        /// Connected subscribers whose queues are past the slow-consumer mark.
        var congested: [Session]
    }

    func route(_ message: Message, from client: ClientInfo?, on eventLoop: any EventLoop) -> RouteOutcome {
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
            guard let future = observer.messagePublished(message, from: client) else { continue }
            if commit == nil { commit = future } else { more.append(future) }
        }
        if let first = commit, !more.isEmpty {
            commit = EventLoopFuture.andAllSucceed([first] + more, on: eventLoop)
        }
        return RouteOutcome(commit: commit, congested: congested)
    }

    /// Publishes from inside the server (the HTTP API, the WebSocket hub, tests).
    public func publish(
        topic: String, payload: ByteBuffer, qos: QoS = .atMostOnce, retain: Bool = false,
        properties: Properties = .init()
    ) {
        let message = Message(
            topic: topic, payload: payload, qos: qos, retain: retain, properties: properties, publisherID: nil)
        publish(message, from: nil, on: timerLoop)
    }

    /// Number of sessions a message on `topic` would be delivered to now.
    public func subscriberCount(for topic: String) -> Int {
        tree.match(topic, publisherID: nil).count
    }

    /// Number of retained messages held.
    public var retainedCount: Int { tree.retainedCount }

    /// Number of sessions, connected or not.
    public var sessionCount: Int { registry.withLockedValue { $0.sessions.count } }
}
