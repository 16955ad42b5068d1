import MQTTCore

/// Where a session's outgoing packets go while its client is connected: a network connection,
/// or the inline client. Implementations must be cheap to call from any thread.
protocol SessionOutlet: AnyObject, Sendable {
    /// The protocol version packets are encoded for.
    var protocolVersion: ProtocolVersion { get }
    /// The largest packet the client accepts (v5 maximum packet size), or nil for no limit.
    var clientMaximumPacketSize: Int? { get }
    /// `false` while the transport's buffers are full: QoS 0 messages are then dropped.
    var isWritable: Bool { get }
    /// Queues a packet for sending; the outlet flushes soon after.
    func send(_ packet: OutboundPacket)
}

/// A packet waiting in an outlet: control packets as they are, deliveries with the message
/// shared between all its subscribers until the moment of encoding.
enum OutboundPacket: Sendable {
    case packet(Packet)
    case delivery(Message, qos: QoS, packetID: UInt16?, retain: Bool, dup: Bool, subscriptionIDs: [Int])
}
