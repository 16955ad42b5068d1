import Foundation
public import Logging
public import MQTTHooks
import MQTTCore
import NIOConcurrencyHelpers
public import NIOCore
public import RoostStore
public import ServiceLifecycle

/// Durable ingest: a broker observer that turns messages on device topics into rows, and a
/// writer that stores them in group commits. A QoS 1/2 message is acknowledged only after the
/// transaction holding it has committed: the observer hands the broker a future that the
/// writer completes after COMMIT, and the publisher's connection holds its PUBACK/PUBREC until
/// then (and stops reading once too many are pending, which is the backpressure).
public final class IngestPipeline: MQTTObserver, IngestControl, Service, Sendable {
    /// Batching and limits.
    public struct Configuration: Sendable {
        /// Most messages in one transaction.
        public var batchSize: Int = 20_000
        /// How long the writer lingers for more messages after the first of a batch, in seconds.
        /// 0 (the default) is plain group commit: a batch is what gathered while the previous
        /// commit ran, which keeps latency lowest at low rates and batches large at high ones.
        public var flushInterval: Double = 0
        /// Largest payload accepted, in bytes; larger ones go to the dead letters.
        public var maxPayloadSize: Int = PayloadNormalizer.defaultLimit
        /// Messages waiting for the writer above which QoS 0 telemetry is dropped (and counted).
        /// QoS 1/2 is never dropped: its publishers wait for acknowledgements and stop being read.
        public var maxQueue: Int = 200_000
        /// Batches written at the same time. 2 overlaps one batch's preparation and round trips
        /// with another's database work; acknowledgements still leave in order per connection.
        public var writers: Int = 1
        /// Seconds without a message after which a device that no connection of its own
        /// vouches for (one behind a gateway) is offline.
        public var inactivityTimeout: Double = 300
        /// ``inactivityTimeout`` of particular tenants, by name (matched without case).
        public var tenantInactivityTimeouts: [String: Double] = [:]
        /// How often relayed devices are checked for inactivity, in seconds.
        public var presenceSweepInterval: Double = 5

        public init() {}

        /// The inactivity timeout of `tenant`, in milliseconds.
        func inactivityTimeout(tenant: String) -> Int64 {
            let own = tenantInactivityTimeouts[tenant] ?? tenantInactivityTimeouts[tenant.lowercased()]
            return Int64((own ?? inactivityTimeout) * 1000)
        }
    }

    enum Item {
        case telemetry(DeviceKey, TelemetryPayload, receivedAt: Int64, CommitGroup?)
        case status(DeviceKey, online: Bool, reason: String, document: String?, at: Int64, CommitGroup?)
        case dead(DeviceKey?, topic: String, PayloadError, payload: [UInt8], at: Int64, CommitGroup?)

        /// Whose acknowledgement waits for this item; nil for best-effort items.
        var group: CommitGroup? {
            switch self {
            case .telemetry(_, _, _, let g), .status(_, _, _, _, _, let g), .dead(_, _, _, _, _, let g): g
            }
        }

        func with(_ group: CommitGroup) -> Item {
            switch self {
            case .telemetry(let k, let p, let r, _): .telemetry(k, p, receivedAt: r, group)
            case .status(let k, let o, let r, let d, let a, _):
                .status(k, online: o, reason: r, document: d, at: a, group)
            case .dead(let k, let t, let e, let p, let a, _): .dead(k, topic: t, e, payload: p, at: a, group)
            }
        }
    }

    struct State {
        var queue: [Item] = []
        var devices: [DeviceKey: Int64] = [:]
        /// Which connection vouches for each online device (own connection or gateway).
        var presence = PresenceBook()
        /// The commit groups taking messages now, one per event loop; the writer closes them
        /// when it takes the queue.
        var open: [CommitGroup] = []
        var finished = false
    }

    let layout: TopicLayout
    let store: any IngestStore
    let configuration: Configuration
    let logger: Logger
    let state = NIOLockedValueBox(State())
    let stats = IngestStats()
    let signals: AsyncStream<Void>
    let signal: AsyncStream<Void>.Continuation
    /// Receive times, status times and first-sight registrations read this clock.
    let clock: any EpochClock
    /// Told of each committed batch (realtime events).
    let commitObservers: [any IngestCommitObserver]

    /// Ingests messages on `layout`'s uplink topics into `store`. Acknowledgement futures are
    /// made on the event loop the broker publishes from, so a publisher's PUBACK needs no hop.
    public init(
        layout: TopicLayout, store: any IngestStore, configuration: Configuration = .init(),
        clock: any EpochClock = SystemEpochClock(), commitObservers: [any IngestCommitObserver] = [], logger: Logger
    ) {
        self.commitObservers = commitObservers
        self.layout = layout
        self.store = store
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        (signals, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Forgets cached device ids (after devices were deleted): they are looked up, or
    /// registered again, on their next message.
    public func forgetDevices() {
        state.withLockedValue { $0.devices.removeAll() }
    }

    /// Takes over the devices the store has online from before a restart (see
    /// ``PresenceBook/restore(_:lastHeard:)``): the inactivity sweep ends them unless they are heard.
    public func restorePresence(_ devices: [(DeviceKey, Int64)]) {
        state.withLockedValue { s in
            for (device, lastHeard) in devices { s.presence.restore(device, lastHeard: lastHeard) }
        }
    }

    /// Marks offline the relayed devices (behind a gateway, or left by one) silent for their
    /// tenant's inactivity timeout; returns how many. ``run()`` calls it every
    /// `presenceSweepInterval`; tests call it with a moved clock.
    @discardableResult
    public func sweepInactive() -> Int {
        let now = clock.nowMilliseconds()
        let items = state.withLockedValue { s -> [Item] in
            s.presence.inactive(at: now, timeout: configuration.inactivityTimeout(tenant:)).map { key in
                .status(key, online: false, reason: "inactivity", document: nil, at: now, nil)
            }
        }
        if !items.isEmpty { append(items) }
        return items.count
    }

    /// Counters for metrics and `/stats`.
    public var statistics: IngestStats.Snapshot { stats.snapshot(queueDepth: state.withLockedValue { $0.queue.count }) }

    // MARK: Broker observer

    public func messagePublished(_ message: Message, from client: ClientInfo?, on eventLoop: any EventLoop)
        -> EventLoopFuture<Void>?
    {
        guard let match = layout.uplink(message.topic) else { return nil }
        let key = DeviceKey(tenant: match.tenant, uid: match.device)
        let now = clock.nowMilliseconds()
        let payload = message.payload.readableBytesView
        let item: Item
        switch match.kind {
        case .telemetry, .event:
            // HTTP ingest attaches what it already normalised: no second parse.
            if match.feed == nil, payload.count <= configuration.maxPayloadSize,
                let prepared = message.attachment as? PreparedTelemetry
            {
                var normalized = prepared.payload
                if normalized.msgID == nil { normalized.msgID = Self.messageID(from: message.properties) }
                item = .telemetry(key, normalized, receivedAt: now, nil)
                break
            }
            do {
                var normalized = try PayloadNormalizer.telemetry(
                    payload, feed: match.feed, limit: configuration.maxPayloadSize)
                if normalized.msgID == nil { normalized.msgID = Self.messageID(from: message.properties) }
                item = .telemetry(key, normalized, receivedAt: now, nil)
            } catch {
                logger.warning(
                    "bad payload",
                    metadata: ["device": "\(key)", "topic": "\(message.topic)", "reason": "\(error.code)"])
                item = .dead(
                    key, topic: message.topic, error, payload: Array(payload.prefix(configuration.maxPayloadSize)),
                    at: now, nil)
            }
        case .status:
            let status = StatusPayload.parse(payload)
            item = .status(
                key, online: status.online, reason: "status_topic", document: status.document.jsonText, at: now, nil)
        case .commandAck, .commands, .shadowReported, .shadowDelta:
            return nil
        }
        // A bridged message's publisher is unseen: its device is relayed (inactivity, wills).
        let source = client.flatMap { $0.isBridge ? nil : $0.clientID }
        return enqueue(
            item, acknowledgedOn: message.qos != .atMostOnce ? eventLoop : nil, device: key, clientID: source, at: now)
    }

    /// A message id from MQTT 5 properties when the payload has none: a `msg_id` user property,
    /// else the correlation data (as text when it is UTF-8, hex otherwise).
    static func messageID(from properties: Properties) -> String? {
        guard !properties.isEmpty else { return nil }
        if let id = properties.userProperties.first(where: { $0.name == "msg_id" })?.value, !id.isEmpty { return id }
        guard let data = properties.correlationData, data.readableBytes > 0 else { return nil }
        if let text = String(validating: data.readableBytesView, as: UTF8.self) { return text }
        return data.readableBytesView.map { String(format: "%02x", $0) }.joined()
    }

    /// The external broker's client event for `device` (EMQX's `…/clients/ID/connected`,
    /// `…/disconnected`): recorded always, since another node may have seen the previous one.
    public func brokerEvent(_ device: DeviceKey, online: Bool, reason: String) {
        let now = clock.nowMilliseconds()
        state.withLockedValue { s in
            if online { s.presence.brokerConnected(device) } else { s.presence.brokerDisconnected(device) }
        }
        append([.status(device, online: online, reason: reason, document: nil, at: now, nil)])
    }

    /// A device login is online from its CONNECT.
    public func clientConnected(_ client: ClientInfo) {
        guard let uid = client.attributes["device"], let tenant = client.attributes["tenant"] else { return }
        let key = DeviceKey(tenant: tenant, uid: uid)
        let now = clock.nowMilliseconds()
        let item = state.withLockedValue { s -> Item? in
            guard s.presence.connected(key, clientID: client.clientID) else { return nil }
            return .status(key, online: true, reason: "connect", document: nil, at: now, nil)
        }
        if let item { append([item]) }
    }

    public func clientDisconnected(_ client: ClientInfo, reason: DisconnectReason) {
        if reason == .takenOver { return }  // the same client is back on a new connection
        let now = clock.nowMilliseconds()
        let why: String
        switch reason {
        case .keepAliveTimeout: why = "keepalive"
        case .clientDisconnected: why = "disconnect"
        case .protocolError: why = "protocol_error"
        case .serverShutdown: why = "server_shutdown"
        case .revoked: why = "revoked"
        default: why = "connection_lost"
        }
        // Only the devices whose own connection this was go offline; a gateway's keep the
        // status their payloads said (see PresenceBook).
        let items = state.withLockedValue { s -> [Item] in
            s.presence.disconnected(client.clientID, at: now).map { key in
                .status(key, online: false, reason: why, document: nil, at: now, nil)
            }
        }
        if !items.isEmpty { append(items) }
    }

    /// Queues a message's item (after a status event when it brings its device online), under
    /// one lock acquisition: this runs for every message on the event loop. An acknowledged
    /// item joins its loop's open commit group, whose future it returns.
    private func enqueue(
        _ item: Item, acknowledgedOn loop: (any EventLoop)?, device: DeviceKey, clientID: String?, at now: Int64
    ) -> EventLoopFuture<Void>? {
        let outcome = state.withLockedValue { s -> (group: CommitGroup?, accepted: Bool, wake: Bool) in
            guard !s.finished else { return (nil, false, false) }
            let wasEmpty = s.queue.isEmpty
            // A device heard from is online, unless its message says otherwise.
            if case .status(_, let online, _, _, _, _) = item {
                s.presence.stated(device, online: online, by: clientID, at: now)
            } else if s.presence.heard(device, by: clientID, at: now) {
                push(.status(device, online: true, reason: "message", document: nil, at: now, nil), into: &s)
            }
            guard let loop else {
                push(item, into: &s)
                return (nil, true, wasEmpty)
            }
            let group: CommitGroup
            if let open = s.open.first(where: { $0.loop === loop }) {
                group = open
            } else {
                group = CommitGroup(loop: loop)
                s.open.append(group)
            }
            group.pending += 1
            push(item.with(group), into: &s)
            return (group, true, wasEmpty)
        }
        guard outcome.accepted else {
            return loop?.makeFailedFuture(IngestError.shuttingDown)
        }
        // The writer empties the queue before it waits: it needs waking only when the queue
        // was empty (one signal, not one per message).
        if outcome.wake { signal.yield() }
        return outcome.group?.promise.futureResult
    }

    /// Queues best-effort items (status events of connects and disconnects).
    private func append(_ items: [Item]) {
        let outcome = state.withLockedValue { s -> (accepted: Bool, wake: Bool) in
            guard !s.finished else { return (false, false) }
            let wasEmpty = s.queue.isEmpty
            for item in items { push(item, into: &s) }
            return (true, wasEmpty)
        }
        if outcome.accepted && outcome.wake { signal.yield() }
    }

    /// Under the lock: queues `item`, unless the queue is full and nobody waits for it (QoS 0
    /// and status events are best effort; QoS 1/2 publishers wait for acknowledgements and
    /// stop being read, which bounds the queue).
    private func push(_ item: Item, into s: inout State) {
        if s.queue.count >= configuration.maxQueue && item.group == nil {
            stats.dropped(1)
        } else {
            s.queue.append(item)
        }
    }
}

/// Why a message could not be ingested.
public enum IngestError: Error, Sendable {
    case shuttingDown
}
