import DequeModule
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import OrderedCollections
import Synchronization

/// The broker's state for one client id: subscriptions, messages in flight to the client and
/// messages queued for it. Outlives connections when the session has an expiry interval.
///
/// Its state is shared between the client's connection and every publisher's connection, so
/// it sits behind a lock; no other lock is taken while holding it except the outlet's.
public final class Session: Sendable {
    /// A QoS 1/2 message sent to the client and not yet acknowledged.
    struct Inflight: Sendable {
        enum Stage: Sendable { case awaitingPubAck, awaitingPubRec, awaitingPubComp }
        var message: Message
        var qos: QoS
        var retain: Bool
        var subscriptionIDs: [Int]
        var stage: Stage
        /// Send order, for retransmission in the original order after a reconnect.
        var sequence: UInt64
    }

    /// A message waiting for a free slot in the inflight window, or for the client to return.
    struct Queued: Sendable {
        var message: Message
        var qos: QoS
        var retain: Bool
        var subscriptionIDs: [Int]
    }

    struct State {
        var outlet: (any SessionOutlet)?
        var subscriptions: OrderedDictionary<String, (Subscription, Int?)> = [:]
        // A plain dictionary: acknowledgements arrive in any order and removing from an ordered
        // collection's front would move every entry; order is rebuilt from `sequence` when needed.
        var inflight: [UInt16: Inflight] = [:]
        var sendSequence: UInt64 = 0
        var queue: Deque<Queued> = []
        var nextPacketID: UInt16 = 1
        var window: Int
        /// Session expiry interval in seconds; `UInt32.max` never expires.
        var expiryInterval: UInt32 = 0
        /// Incoming QoS 2 packet ids received and not yet released by PUBREL.
        var incomingQoS2: Set<UInt16> = []
        var droppedMessages = 0
        /// Publishers paused because this client's queue is long, to resume when it drains.
        var drainWaiters: [@Sendable () -> Void] = []
    }

    /// The client id this session belongs to.
    public let clientID: String
    let maxQueued: Int
    let highWater: Int
    let queueQoS0: Bool
    let state: NIOLockedValueBox<State>
    private let connected = Atomic<Bool>(false)
    /// Set when a message is queued while the client is away, so the broker saves the session.
    let needsSave = Atomic<Bool>(false)
    /// Counts drops for `$SYS` and metrics.
    let onDrop: @Sendable () -> Void

    init(clientID: String, configuration: BrokerConfiguration, onDrop: @escaping @Sendable () -> Void = {}) {
        self.clientID = clientID
        self.maxQueued = configuration.maxQueuedMessages
        self.highWater = max(1, configuration.slowConsumerQueue)
        self.queueQoS0 = configuration.queueQoS0Messages
        self.state = NIOLockedValueBox(State(window: configuration.maxInflight))
        self.onDrop = onDrop
    }

    /// `true` while a client is attached.
    public var isConnected: Bool { connected.load(ordering: .relaxed) }

    // MARK: Attaching and detaching

    /// Attaches a connection, resends what was in flight (DUP set, PUBREL for QoS 2 in its
    /// second stage) and starts draining the queue [MQTT-4.4.0-1].
    func attach(_ outlet: any SessionOutlet, window: Int, expiryInterval: UInt32) {
        let waiters = state.withLockedValue { s -> [@Sendable () -> Void] in
            s.outlet = outlet
            s.window = max(1, window)
            s.expiryInterval = expiryInterval
            for (id, entry) in s.inflight.sorted(by: { $0.value.sequence < $1.value.sequence }) {
                switch entry.stage {
                case .awaitingPubAck, .awaitingPubRec:
                    outlet.send(
                        .delivery(
                            entry.message, qos: entry.qos, packetID: id, retain: entry.retain, dup: true,
                            subscriptionIDs: entry.subscriptionIDs))
                case .awaitingPubComp:
                    outlet.send(.packet(.pubrel(AckPacket(packetID: id))))
                }
            }
            return Self.drainQueue(&s, lowWater: highWater / 2)
        }
        connected.store(true, ordering: .relaxed)
        for waiter in waiters { waiter() }
    }

    /// Detaches `outlet` if it is still the attached one; returns whether it was.
    @discardableResult
    func detach(_ outlet: any SessionOutlet) -> Bool {
        let (wasAttached, waiters) = state.withLockedValue { s -> (Bool, [@Sendable () -> Void]) in
            guard let current = s.outlet, current === outlet else { return (false, []) }
            s.outlet = nil
            // An offline session queues without slowing anyone down.
            let waiters = s.drainWaiters
            s.drainWaiters = []
            return (true, waiters)
        }
        if wasAttached { connected.store(false, ordering: .relaxed) }
        for waiter in waiters { waiter() }
        return wasAttached
    }

    /// The session expiry interval last set by the client.
    var expiryInterval: UInt32 {
        get { state.withLockedValue { $0.expiryInterval } }
        set { state.withLockedValue { $0.expiryInterval = newValue } }
    }

    // MARK: Delivery

    /// Delivers a routed message at `qos` (already the minimum of message and subscription).
    /// Returns `true` when the client is connected and its queue is past the slow-consumer mark:
    /// the publisher should then wait for ``whenDrained(_:)``.
    @discardableResult
    func deliver(_ message: Message, qos: QoS, retain: Bool, subscriptionIDs: [Int]) -> Bool {
        state.withLockedValue { s -> Bool in
            if qos == .atMostOnce {
                if let outlet = s.outlet {
                    guard outlet.isWritable else {
                        onDrop()
                        return false
                    }
                    guard Self.fits(message, qos: qos, subscriptionIDs: subscriptionIDs, outlet) else { return false }
                    outlet.send(
                        .delivery(
                            message, qos: .atMostOnce, packetID: nil, retain: retain, dup: false,
                            subscriptionIDs: subscriptionIDs))
                } else if queueQoS0 && s.expiryInterval > 0 {
                    enqueue(&s, Queued(message: message, qos: qos, retain: retain, subscriptionIDs: subscriptionIDs))
                }
                return false
            }
            if let outlet = s.outlet, s.inflight.count < s.window, s.queue.isEmpty {
                guard Self.fits(message, qos: qos, subscriptionIDs: subscriptionIDs, outlet) else { return false }
                Self.sendInflight(
                    &s, outlet, Queued(message: message, qos: qos, retain: retain, subscriptionIDs: subscriptionIDs))
                return false
            }
            enqueue(&s, Queued(message: message, qos: qos, retain: retain, subscriptionIDs: subscriptionIDs))
            return s.outlet != nil && s.queue.count >= highWater
        }
    }

    /// Calls `callback` once the queue has drained to half the slow-consumer mark or the client
    /// has gone (at once if that is already so). Any thread; the callback runs without locks held.
    func whenDrained(_ callback: @escaping @Sendable () -> Void) {
        let now = state.withLockedValue { s -> Bool in
            if s.outlet == nil || s.queue.count < highWater / 2 { return true }
            s.drainWaiters.append(callback)
            return false
        }
        if now { callback() }
    }

    private func enqueue(_ s: inout State, _ item: Queued) {
        if s.outlet == nil { needsSave.store(true, ordering: .relaxed) }
        if s.queue.count >= maxQueued {
            s.queue.removeFirst()
            s.droppedMessages += 1
            onDrop()
        }
        s.queue.append(item)
    }

    /// A v5 client's maximum packet size: a message too large for it is discarded [MQTT-3.1.2-25].
    private static func fits(_ m: Message, qos: QoS, subscriptionIDs: [Int], _ outlet: any SessionOutlet) -> Bool {
        guard let limit = outlet.clientMaximumPacketSize else { return true }
        var props = m.properties
        if !subscriptionIDs.isEmpty { props.subscriptionIdentifiers = subscriptionIDs }
        let packet = PublishPacket(topic: m.topic, payload: m.payload, qos: qos, packetID: 1, properties: props)
        return packet.encodedSize(version: outlet.protocolVersion) <= limit
    }

    private static func sendInflight(_ s: inout State, _ outlet: any SessionOutlet, _ item: Queued) {
        let id = nextFreePacketID(&s)
        s.sendSequence += 1
        s.inflight[id] = Inflight(
            message: item.message, qos: item.qos, retain: item.retain, subscriptionIDs: item.subscriptionIDs,
            stage: item.qos == .atLeastOnce ? .awaitingPubAck : .awaitingPubRec, sequence: s.sendSequence)
        outlet.send(
            .delivery(
                item.message, qos: item.qos, packetID: id, retain: item.retain, dup: false,
                subscriptionIDs: item.subscriptionIDs))
    }

    private static func nextFreePacketID(_ s: inout State) -> UInt16 {
        // The window is far below 65,535, so a free id is always found.
        while true {
            let id = s.nextPacketID
            s.nextPacketID = id == UInt16.max ? 1 : id + 1
            if s.inflight[id] == nil { return id }
        }
    }

    /// Moves queued messages into the inflight window while there is room and a client; returns
    /// the paused publishers to wake (to be called once the lock is released).
    private static func drainQueue(_ s: inout State, lowWater: Int) -> [@Sendable () -> Void] {
        moveQueued(&s)
        guard !s.drainWaiters.isEmpty, s.queue.count < lowWater else { return [] }
        let waiters = s.drainWaiters
        s.drainWaiters = []
        return waiters
    }

    private static func moveQueued(_ s: inout State) {
        guard let outlet = s.outlet else { return }
        let now = NIODeadline.now()
        while !s.queue.isEmpty {
            let head = s.queue[s.queue.startIndex]
            if head.message.isExpired(at: now) {
                s.queue.removeFirst()
                continue
            }
            if head.qos == .atMostOnce {
                s.queue.removeFirst()
                outlet.send(
                    .delivery(
                        head.message, qos: .atMostOnce, packetID: nil, retain: head.retain, dup: false,
                        subscriptionIDs: head.subscriptionIDs))
                continue
            }
            guard s.inflight.count < s.window else { return }
            s.queue.removeFirst()
            sendInflight(&s, outlet, head)
        }
    }

    // MARK: Acknowledgements from the client

    /// PUBACK: the QoS 1 delivery is done. Returns the message delivered, nil for an unknown
    /// packet id.
    @discardableResult
    func handlePubAck(_ id: UInt16) -> Message? {
        let (delivered, waiters) = state.withLockedValue { s -> (Message?, [@Sendable () -> Void]) in
            guard let entry = s.inflight[id], entry.stage == .awaitingPubAck else { return (nil, []) }
            s.inflight.removeValue(forKey: id)
            return (entry.message, Self.drainQueue(&s, lowWater: highWater / 2))
        }
        for waiter in waiters { waiter() }
        return delivered
    }

    /// PUBREC: answer with PUBREL (or end the flow when the client reported an error).
    func handlePubRec(_ id: UInt16, reasonCode: ReasonCode) -> AckPacket? {
        let (ack, waiters) = state.withLockedValue { s -> (AckPacket?, [@Sendable () -> Void]) in
            guard var entry = s.inflight[id], entry.stage != .awaitingPubAck else {
                return (AckPacket(packetID: id, reasonCode: .packetIdentifierNotFound), [])
            }
            if reasonCode.isFailure {
                s.inflight.removeValue(forKey: id)
                return (nil, Self.drainQueue(&s, lowWater: highWater / 2))
            }
            entry.stage = .awaitingPubComp
            s.inflight[id] = entry
            return (AckPacket(packetID: id), [])
        }
        for waiter in waiters { waiter() }
        return ack
    }

    /// PUBCOMP: the QoS 2 delivery is done. Returns the message delivered, nil for an unknown
    /// packet id.
    @discardableResult
    func handlePubComp(_ id: UInt16) -> Message? {
        let (delivered, waiters) = state.withLockedValue { s -> (Message?, [@Sendable () -> Void]) in
            guard let entry = s.inflight[id], entry.stage == .awaitingPubComp else { return (nil, []) }
            s.inflight.removeValue(forKey: id)
            return (entry.message, Self.drainQueue(&s, lowWater: highWater / 2))
        }
        for waiter in waiters { waiter() }
        return delivered
    }

    // MARK: Incoming QoS 2

    /// Records an incoming QoS 2 PUBLISH; returns `false` when it is a duplicate to be acknowledged
    /// but not routed again.
    func beginIncomingQoS2(_ id: UInt16) -> Bool {
        state.withLockedValue { $0.incomingQoS2.insert(id).inserted }
    }

    /// `true` when `id` is an incoming QoS 2 message awaiting PUBREL.
    func hasIncomingQoS2(_ id: UInt16) -> Bool {
        state.withLockedValue { $0.incomingQoS2.contains(id) }
    }

    /// Number of incoming QoS 2 messages awaiting PUBREL.
    var incomingQoS2Count: Int { state.withLockedValue { $0.incomingQoS2.count } }

    /// PUBREL: releases the packet id; returns whether it was known.
    func releaseIncomingQoS2(_ id: UInt16) -> Bool {
        state.withLockedValue { $0.incomingQoS2.remove(id) != nil }
    }

    // MARK: Subscriptions

    /// Records a subscription; returns whether it already existed.
    func addSubscription(_ sub: Subscription, identifier: Int?) -> Bool {
        state.withLockedValue { $0.subscriptions.updateValue((sub, identifier), forKey: sub.filter) != nil }
    }

    /// Forgets a subscription; returns whether it existed.
    func removeSubscription(_ filter: String) -> Bool {
        state.withLockedValue { $0.subscriptions.removeValue(forKey: filter) != nil }
    }

    /// The session's subscriptions with their identifiers.
    var subscriptions: [(Subscription, Int?)] { state.withLockedValue { Array($0.subscriptions.values) } }

    /// Messages in flight and queued, oldest first (for persistence).
    var pendingMessages: [Queued] {
        state.withLockedValue { s in
            s.inflight.values.sorted { $0.sequence < $1.sequence }.map {
                Queued(message: $0.message, qos: $0.qos, retain: $0.retain, subscriptionIDs: $0.subscriptionIDs)
            }
                + Array(s.queue)
        }
    }

    /// Restores messages loaded from storage; they are sent when the client returns.
    func restore(pending: [Queued]) {
        state.withLockedValue { s in
            for item in pending { s.queue.append(item) }
        }
    }

    /// Number of messages queued (not in flight).
    var queuedCount: Int { state.withLockedValue { $0.queue.count } }
}
