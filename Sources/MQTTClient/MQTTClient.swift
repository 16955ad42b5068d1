public import Logging
public import MQTTCore
import NIOConcurrencyHelpers
public import NIOCore
public import NIOPosix
import DequeModule
import OrderedCollections

/// An async/await MQTT 3.1.1 and 5.0 client over TCP, TLS or WebSocket, with automatic
/// reconnect that restores subscriptions and resends unacknowledged messages.
public final class MQTTClient: Sendable {
    enum Waiter {
        case puback(EventLoopPromise<AckPacket>)
        case pubrec(EventLoopPromise<AckPacket>)
        case pubcomp(EventLoopPromise<AckPacket>)
        case suback(EventLoopPromise<SubAckPacket>)
        case unsuback(EventLoopPromise<SubAckPacket>)
    }

    struct State {
        var channel: (any Channel)?
        var version: ProtocolVersion
        var connack: EventLoopPromise<ConnAckPacket>?
        var waiters: [UInt16: Waiter] = [:]
        /// Unacknowledged outgoing QoS 1/2 publishes, resent with DUP after a reconnect.
        var unacked: OrderedDictionary<UInt16, PublishPacket> = [:]
        var nextID: UInt16 = 1
        var subscriptions: OrderedDictionary<String, Subscription> = [:]
        var listeners: [Int: AsyncStream<PublishPacket>.Continuation] = [:]
        var nextListener = 0
        var incomingQoS2: Set<UInt16> = []
        var pingOutstanding = false
        var closedByUser = false
        var reconnecting = false
        var pendingWrites: [Packet] = []
        var flushScheduled = false
        var lastDisconnect: ReasonCode?
        var assignedClientID: String?
        var serverReceiveMaximum = 65_535
        var pings: [EventLoopPromise<Void>] = []
        /// Topic aliases the broker set on this connection (v5).
        var inboundAliases: [UInt16: String] = [:]
        var handler: (@Sendable (PublishPacket) -> Void)?
        /// Manual acknowledgement: the handler, the connection's number (a receipt from an
        /// earlier connection is void: the broker sends its message again), and the QoS 1/2
        /// messages not yet acknowledged, in arrival order (acknowledgements leave in it).
        var acknowledgingHandler: (@Sendable (PublishPacket, InboundReceipt) -> Void)?
        var connectionNumber: UInt64 = 0
        var awaitingAck: Deque<InboundReceipt> = []
        var acknowledged: Set<UInt16> = []
    }

    /// The configuration this client was created with.
    public let configuration: MQTTClientConfiguration
    let group: any EventLoopGroup
    let logger: Logger
    let state: NIOLockedValueBox<State>

    /// Creates a client; call ``connect()`` next.
    public init(
        configuration: MQTTClientConfiguration, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "roost.mqtt-client")
    ) {
        self.configuration = configuration
        self.group = group
        self.logger = logger
        self.state = NIOLockedValueBox(State(version: configuration.protocolVersion))
    }

    /// `true` while a connection is up.
    public var isConnected: Bool { state.withLockedValue { $0.channel?.isActive ?? false } }

    /// The client id in use (the broker's assigned one when the configured id was empty).
    public var clientID: String { state.withLockedValue { $0.assignedClientID } ?? configuration.clientID }

    /// The reason code of the broker's last DISCONNECT, if any (5.0).
    public var lastDisconnectReason: ReasonCode? { state.withLockedValue { $0.lastDisconnect } }

    // MARK: Connecting

    /// Connects and waits for CONNACK. Throws ``MQTTClientError/connectionRefused(_:)`` when refused.
    @discardableResult
    public func connect() async throws -> ConnAckPacket {
        state.withLockedValue { $0.closedByUser = false }
        return try await establish(cleanStart: configuration.cleanStart)
    }

    func establish(cleanStart: Bool) async throws -> ConnAckPacket {
        let channel = try await MQTTClientBootstrap.connect(client: self)
        let loop = channel.eventLoop
        let promise = loop.makePromise(of: ConnAckPacket.self)
        state.withLockedValue {
            $0.channel = channel
            $0.connack = promise
            $0.inboundAliases = [:]
            $0.connectionNumber += 1
            $0.awaitingAck = []
            $0.acknowledged = []
        }
        // Registered after the channel is recorded, so that a close that already happened (a
        // broker refusing the connection) still fails the CONNACK wait at once.
        channel.closeFuture.whenComplete { _ in self.channelClosed(channel) }
        var connect = ConnectPacket(
            protocolVersion: configuration.protocolVersion, clientID: configuration.clientID,
            cleanStart: cleanStart, keepAlive: configuration.keepAlive, username: configuration.username,
            password: configuration.password.map { ByteBuffer(string: $0) }, will: configuration.will,
            properties: configuration.connectProperties)
        if configuration.protocolVersion == .v5 {
            connect.properties.sessionExpiryInterval = configuration.sessionExpiry
            connect.properties.receiveMaximum = configuration.receiveMaximum
        }
        var buffer = channel.allocator.buffer(capacity: 64)
        Packet.connect(connect).encode(version: configuration.protocolVersion, into: &buffer)
        channel.writeAndFlush(buffer, promise: nil)
        let timeout = loop.scheduleTask(in: .milliseconds(Int64(configuration.connectTimeout * 1000))) {
            promise.fail(MQTTClientError.timeout)
            channel.close(promise: nil)
        }
        defer { timeout.cancel() }
        let connack = try await promise.futureResult.get()
        guard !connack.reasonCode.isFailure else {
            channel.close(promise: nil)
            throw MQTTClientError.connectionRefused(connack.reasonCode)
        }
        let resend = state.withLockedValue { s -> [PublishPacket] in
            s.assignedClientID = connack.properties.assignedClientIdentifier ?? s.assignedClientID
            s.serverReceiveMaximum = Int(connack.properties.receiveMaximum ?? 65_535)
            return Array(s.unacked.values)
        }
        // Resend what was not acknowledged [MQTT-4.4.0-1]; a fresh session lost it otherwise.
        for var publish in resend {
            publish.dup = true
            write(.publish(publish))
        }
        scheduleKeepAlive(channel: channel)
        return connack
    }

    // MARK: Publishing

    /// Publishes a message. QoS 0 returns once written; QoS 1 once PUBACK arrives; QoS 2 once
    /// PUBCOMP arrives. Returns the broker's acknowledgement (reason code 0 on success).
    @discardableResult
    public func publish(
        topic: String, payload: ByteBuffer, qos: QoS = .atMostOnce, retain: Bool = false,
        properties: Properties = .init()
    ) async throws -> AckPacket? {
        guard let future = try startPublish(topic: topic, payload: payload, qos: qos, retain: retain, properties: properties)
        else { return nil }
        let ack = try await future.get()
        if ack.reasonCode.isFailure { throw MQTTClientError.publishFailed(ack.reasonCode) }
        return ack
    }

    /// Queues a publish at once, without suspending, so that messages of successive calls
    /// leave in call order; returns the future of the broker's acknowledgement (nil for QoS 0).
    /// A failure reason code is not an error here: read it from the acknowledgement.
    public func startPublish(
        topic: String, payload: ByteBuffer, qos: QoS = .atMostOnce, retain: Bool = false,
        properties: Properties = .init()
    ) throws -> EventLoopFuture<AckPacket>? {
        var packet = PublishPacket(topic: topic, payload: payload, qos: qos, retain: retain, properties: properties)
        if qos == .atMostOnce {
            guard isConnected else { throw MQTTClientError.notConnected }
            write(.publish(packet))
            return nil
        }
        let future = try state.withLockedValue { s -> EventLoopFuture<AckPacket> in
            guard let channel = s.channel else { throw MQTTClientError.notConnected }
            let id = Self.nextID(&s)
            packet.packetID = id
            let promise = channel.eventLoop.makePromise(of: AckPacket.self)
            s.waiters[id] = qos == .atLeastOnce ? .puback(promise) : .pubrec(promise)
            s.unacked[id] = packet
            // Queued under the same lock as the id, so that publishes keep their call order.
            s.pendingWrites.append(.publish(packet))
            return promise.futureResult
        }
        flushSoon()
        return future
    }

    /// Publishes a UTF-8 string payload.
    @discardableResult
    public func publish(topic: String, string: String, qos: QoS = .atMostOnce, retain: Bool = false) async throws
        -> AckPacket?
    {
        try await publish(topic: topic, payload: ByteBuffer(string: string), qos: qos, retain: retain)
    }

    static func nextID(_ s: inout State) -> UInt16 {
        while true {
            let id = s.nextID
            s.nextID = id == UInt16.max ? 1 : id + 1
            if s.waiters[id] == nil && s.unacked[id] == nil { return id }
        }
    }

    // MARK: Subscribing

    /// Subscribes and returns the SUBACK (one reason code per filter).
    @discardableResult
    public func subscribe(_ subscriptions: [Subscription], properties: Properties = .init()) async throws
        -> SubAckPacket
    {
        let future = try state.withLockedValue { s -> (EventLoopFuture<SubAckPacket>) in
            guard let channel = s.channel else { throw MQTTClientError.notConnected }
            let id = Self.nextID(&s)
            let promise = channel.eventLoop.makePromise(of: SubAckPacket.self)
            s.waiters[id] = .suback(promise)
            s.pendingWrites.append(
                .subscribe(SubscribePacket(packetID: id, subscriptions: subscriptions, properties: properties)))
            return promise.futureResult
        }
        flushSoon()
        let suback = try await future.get()
        state.withLockedValue { s in
            for (sub, code) in zip(subscriptions, suback.reasonCodes) where !code.isFailure {
                s.subscriptions[sub.filter] = sub
            }
        }
        return suback
    }

    /// Subscribes to one filter and returns the messages that match it.
    public func subscribe(to filter: String, qos: QoS = .atMostOnce) async throws -> MQTTSubscription {
        let stream = messages()
        let suback = try await subscribe([Subscription(filter: filter, qos: qos)])
        if let code = suback.reasonCodes.first, code.isFailure {
            throw MQTTClientError.protocolError("subscription to \(filter) refused with \(code)")
        }
        return MQTTSubscription(filter: filter, base: stream)
    }

    /// Unsubscribes and returns the UNSUBACK.
    @discardableResult
    public func unsubscribe(_ filters: [String]) async throws -> SubAckPacket {
        let future = try state.withLockedValue { s -> EventLoopFuture<SubAckPacket> in
            guard let channel = s.channel else { throw MQTTClientError.notConnected }
            let id = Self.nextID(&s)
            let promise = channel.eventLoop.makePromise(of: SubAckPacket.self)
            s.waiters[id] = .unsuback(promise)
            s.pendingWrites.append(.unsubscribe(UnsubscribePacket(packetID: id, filters: filters)))
            for f in filters { s.subscriptions.removeValue(forKey: f) }
            return promise.futureResult
        }
        flushSoon()
        return try await future.get()
    }

    /// Every message the broker delivers to this client, from now on.
    public func messages() -> AsyncStream<PublishPacket> {
        let (stream, continuation) = AsyncStream.makeStream(of: PublishPacket.self, bufferingPolicy: .unbounded)
        let key = state.withLockedValue { s -> Int in
            s.nextListener += 1
            s.listeners[s.nextListener] = continuation
            return s.nextListener
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLockedValue { _ = $0.listeners.removeValue(forKey: key) }
        }
        return stream
    }

    /// Calls `handler` on the event loop for every message received, before any stream sees it.
    /// For high-rate consumers (the load generator) that cannot afford an async hop per message.
    public func setMessageHandler(_ handler: (@Sendable (PublishPacket) -> Void)?) {
        state.withLockedValue { $0.handler = handler }
    }

    /// Sends PINGREQ and waits for PINGRESP: a round trip that also proves every packet sent
    /// before it was processed by the broker.
    public func ping() async throws {
        let future = try state.withLockedValue { s -> EventLoopFuture<Void> in
            guard let channel = s.channel else { throw MQTTClientError.notConnected }
            let promise = channel.eventLoop.makePromise(of: Void.self)
            s.pings.append(promise)
            s.pendingWrites.append(.pingreq)
            return promise.futureResult
        }
        flushSoon()
        try await future.get()
    }

    /// Returns when the current connection closes (at once when there is none).
    public func closed() async {
        let channel = state.withLockedValue { $0.channel }
        try? await channel?.closeFuture.get()
    }

    // MARK: Disconnecting

    /// Sends DISCONNECT and closes; no reconnect follows.
    public func disconnect(reasonCode: ReasonCode = .normalDisconnection, properties: Properties = .init()) async {
        let channel = state.withLockedValue { s -> (any Channel)? in
            s.closedByUser = true
            return s.channel
        }
        guard let channel else { return }
        write(.disconnect(DisconnectPacket(reasonCode: reasonCode, properties: properties)))
        flushSoon()
        try? await channel.eventLoop.submit { self.flushNow() }.get()
        try? await channel.close()
    }

    /// Closes the socket without DISCONNECT (the broker then publishes the will).
    public func dropConnection() async {
        let channel = state.withLockedValue { s -> (any Channel)? in
            s.closedByUser = true
            return s.channel
        }
        try? await channel?.close()
    }
}
