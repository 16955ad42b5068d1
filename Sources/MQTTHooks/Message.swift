public import MQTTCore
public import NIOCore

/// An application message as the broker routes it: immutable and shared by every subscriber
/// it is delivered to.
public final class Message: Sendable {
    public let topic: String
    public let payload: ByteBuffer
    public let qos: QoS
    public let retain: Bool
    /// The properties that travel with the message (5.0): payload format, expiry, content
    /// type, response topic, correlation data, user properties.
    public let properties: Properties
    /// Client id of the publisher (nil for the inline client and wills of expired sessions).
    public let publisherID: String?
    /// When the broker received it (uptime-based, nanoseconds), for message expiry.
    public let receivedAt: NIODeadline
    /// What the publisher already derived from this payload (HTTP ingest's validated
    /// telemetry), so that observers need not parse it again. It belongs to this message: an
    /// interceptor that rewrites a message makes a new one, without it unless it passes it on.
    public let attachment: (any AnyObject & Sendable)?

    /// A message; `attachment` is what the publisher derived from `payload`, if anything.
    public init(
        topic: String, payload: ByteBuffer, qos: QoS, retain: Bool, properties: Properties = .init(),
        publisherID: String?, receivedAt: NIODeadline = .now(), attachment: (any AnyObject & Sendable)? = nil
    ) {
        self.attachment = attachment
        self.topic = topic
        self.payload = payload
        self.qos = qos
        self.retain = retain
        var props = properties
        // Only message properties are forwarded; per-hop ones (alias, subscription id) are not.
        // Checked first: writing to empty properties would allocate their storage.
        if !props.isEmpty {
            if props.topicAlias != nil { props.topicAlias = nil }
            if !props.subscriptionIdentifiers.isEmpty { props.subscriptionIdentifiers = [] }
        }
        self.properties = props
        self.publisherID = publisherID
        self.receivedAt = receivedAt
    }

    /// `true` when the message expiry interval has passed.
    public func isExpired(at now: NIODeadline = .now()) -> Bool {
        guard !properties.isEmpty, let expiry = properties.messageExpiryInterval else { return false }
        return now - receivedAt >= .seconds(Int64(expiry))
    }

    /// Properties to send to a subscriber: expiry lowered by the time spent in the broker
    /// [MQTT-3.3.2-6], plus the matching subscription identifiers.
    package func outgoingProperties(subscriptionIDs: [Int], now: NIODeadline) -> Properties {
        if properties.isEmpty && subscriptionIDs.isEmpty { return properties }
        var props = properties
        if let expiry = props.messageExpiryInterval {
            let waited = (now - receivedAt).nanoseconds / 1_000_000_000
            props.messageExpiryInterval = UInt32(max(0, Int64(expiry) - waited))
        }
        if !subscriptionIDs.isEmpty { props.subscriptionIdentifiers = subscriptionIDs }
        return props
    }

    /// A copy with another retain flag or QoS.
    package func with(retain: Bool? = nil, qos: QoS? = nil) -> Message {
        Message(
            topic: topic, payload: payload, qos: qos ?? self.qos, retain: retain ?? self.retain,
            properties: properties, publisherID: publisherID, receivedAt: receivedAt, attachment: attachment)
    }
}
