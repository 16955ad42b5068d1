public import MQTTCore
public import NIOCore

/// A message as stored: the v5 PUBLISH encoding of topic, payload, QoS, retain and properties,
/// so that storage needs no schema of its own for MQTT properties.
public struct StoredMessage: Sendable, Hashable {
    /// The message encoded as an MQTT 5 PUBLISH packet.
    public var packet: ByteBuffer
    /// Seconds left of the message expiry interval when stored, if it has one.
    public var expiresIn: UInt32?

    public init(packet: ByteBuffer, expiresIn: UInt32?) {
        self.packet = packet
        self.expiresIn = expiresIn
    }

    package init(_ message: Message, qos: QoS, retain: Bool, subscriptionIDs: [Int] = []) {
        let props = message.outgoingProperties(subscriptionIDs: subscriptionIDs, now: .now())
        var buffer = ByteBufferAllocator().buffer(capacity: message.payload.readableBytes + 64)
        PublishPacket(
            topic: message.topic, payload: message.payload, qos: qos, retain: retain,
            packetID: qos == .atMostOnce ? nil : 1, properties: props
        ).encode(version: .v5, into: &buffer)
        self.packet = buffer
        self.expiresIn = props.messageExpiryInterval
    }

    /// Decodes the stored packet back into a message and the subscription ids it carried.
    package func decode() -> (message: Message, subscriptionIDs: [Int])? {
        var buffer = packet
        guard let frame = try? PacketFramer.next(from: &buffer),
            case .publish(let p)? = try? Packet.decode(frame, version: .v5)
        else { return nil }
        let message = Message(
            topic: p.topic, payload: p.payload, qos: p.qos, retain: p.retain, properties: p.properties,
            publisherID: nil)
        return (message, p.properties.subscriptionIdentifiers)
    }
}

/// A persistent session as stored between broker runs.
public struct StoredSession: Sendable, Hashable {
    public struct StoredSubscription: Sendable, Hashable, Codable {
        public var subscription: Subscription
        public var identifier: Int?

        public init(subscription: Subscription, identifier: Int?) {
            self.subscription = subscription
            self.identifier = identifier
        }
    }
    public var clientID: String
    /// Seconds; `UInt32.max` never expires.
    public var expiryInterval: UInt32
    public var subscriptions: [StoredSubscription]
    /// Messages in flight or queued for the client, oldest first.
    public var pending: [StoredMessage]

    public init(clientID: String, expiryInterval: UInt32, subscriptions: [StoredSubscription], pending: [StoredMessage])
    {
        self.clientID = clientID
        self.expiryInterval = expiryInterval
        self.subscriptions = subscriptions
        self.pending = pending
    }
}

/// Where the broker keeps persistent sessions and retained messages across restarts.
/// The broker writes behind, in order, from one task; in-memory state is the truth while running.
public protocol BrokerPersistence: Sendable {
    /// All stored sessions.
    func loadSessions() async throws -> [StoredSession]
    /// All stored retained messages.
    func loadRetained() async throws -> [StoredMessage]
    /// Replaces the stored state of one session.
    func saveSession(_ session: StoredSession) async throws
    /// Forgets a session.
    func deleteSession(clientID: String) async throws
    /// Stores (or replaces) the retained message of a topic.
    func saveRetained(topic: String, message: StoredMessage) async throws
    /// Clears the retained message of a topic.
    func deleteRetained(topic: String) async throws
}
