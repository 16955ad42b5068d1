import MQTTCore
import NIOConcurrencyHelpers
public import NIOCore

/// Moves bytes to and from one client: a TCP/TLS channel or a WebSocket.
public protocol ConnectionTransport: Sendable {
    /// The loop the connection's state lives on.
    var eventLoop: any EventLoop { get }
    /// `false` while the transport's send buffer is over its high-water mark.
    var isWritable: Bool { get }
    /// Writes and flushes. Called on `eventLoop` only.
    func write(_ buffer: ByteBuffer)
    /// Closes the transport after pending writes. Called on `eventLoop` only.
    func close()
    /// Completes when the transport has closed.
    var closed: EventLoopFuture<Void> { get }
    /// Stops (false) or resumes (true) reading from the peer: backpressure. Event loop only.
    func setAutoRead(_ on: Bool)
    /// `ip:port` of the peer, if known.
    var remoteAddress: String? { get }
}

/// A connection's outgoing side: packets from any thread are gathered and written together,
/// one buffer and one flush per event-loop turn, which is what makes fan-in cheap.
final class ConnectionOutlet: SessionOutlet {
    private struct Pending {
        var packets: [OutboundPacket] = []
        /// The previous batch's array, emptied, kept for its capacity (two buffers swap).
        var spare: [OutboundPacket] = []
        var scheduled = false
        /// The connection is inside a read burst and flushes at read-complete.
        var holding = false
        var closed = false
    }

    let transport: any ConnectionTransport
    let protocolVersion: ProtocolVersion
    let clientMaximumPacketSize: Int?
    private let pending = NIOLockedValueBox(Pending())
    private let onSent: @Sendable (Int, Int) -> Void
    /// Topic aliases the broker has set towards this client (v5), touched only in ``flush()``.
    private let aliases: NIOLoopBoundBox<[String: UInt16]>
    private let topicAliasMaximum: Int

    init(
        transport: any ConnectionTransport, version: ProtocolVersion, maxPacketSize: Int?,
        topicAliasMaximum: UInt16 = 0,
        onSent: @escaping @Sendable (_ packets: Int, _ bytes: Int) -> Void
    ) {
        self.transport = transport
        self.protocolVersion = version
        self.clientMaximumPacketSize = maxPacketSize
        self.topicAliasMaximum = version == .v5 ? Int(topicAliasMaximum) : 0
        self.aliases = NIOLoopBoundBox([:], eventLoop: transport.eventLoop)
        self.onSent = onSent
    }

    var isWritable: Bool { transport.isWritable }

    func send(_ packet: OutboundPacket) {
        let schedule = pending.withLockedValue { p -> Bool in
            guard !p.closed else { return false }
            p.packets.append(packet)
            if p.scheduled || p.holding { return false }
            p.scheduled = true
            return true
        }
        if schedule {
            transport.eventLoop.execute { self.flush() }
        }
    }

    /// Starts a read burst: sends wait for ``endBurst()``. Event loop only.
    func beginBurst() {
        pending.withLockedValue { $0.holding = true }
    }

    /// Ends a read burst and writes what gathered. Event loop only.
    func endBurst() {
        pending.withLockedValue { $0.holding = false }
        flush()
    }

    /// Stops accepting packets (the connection is closing).
    func shut() {
        pending.withLockedValue {
            $0.closed = true
            $0.packets = []
        }
    }

    /// Encodes everything pending into one buffer and writes it. Event loop only.
    func flush() {
        var packets = pending.withLockedValue { p -> [OutboundPacket] in
            p.scheduled = false
            if p.holding || p.packets.isEmpty { return [] }
            var taken = p.spare
            swap(&taken, &p.packets)
            return taken
        }
        guard !packets.isEmpty else { return }
        defer {
            packets.removeAll(keepingCapacity: true)
            pending.withLockedValue { $0.spare = packets }
        }
        var buffer = ByteBufferAllocator().buffer(capacity: 256 * packets.count)
        let now = NIODeadline.now()
        for packet in packets {
            switch packet {
            case .packet(let p):
                p.encode(version: protocolVersion, into: &buffer)
            case .delivery(let message, let qos, let packetID, let retain, let dup, let subscriptionIDs):
                var props =
                    protocolVersion == .v5
                    ? message.outgoingProperties(subscriptionIDs: subscriptionIDs, now: now) : Properties()
                var topic = message.topic
                if topicAliasMaximum > 0 { applyAlias(&topic, &props) }
                PublishPacket(
                    topic: topic, payload: message.payload, qos: qos, retain: retain, dup: dup,
                    packetID: packetID, properties: props
                ).encode(version: protocolVersion, into: &buffer)
            }
        }
        onSent(packets.count, buffer.readableBytes)
        transport.write(buffer)
    }

    /// Outgoing topic aliases (v5): the first message on a topic sets an alias while the
    /// client's maximum allows; later ones send an empty topic name with the alias.
    private func applyAlias(_ topic: inout String, _ props: inout Properties) {
        if let alias = aliases.value[topic] {
            props.topicAlias = alias
            topic = ""
        } else if aliases.value.count < topicAliasMaximum {
            let alias = UInt16(aliases.value.count + 1)
            aliases.value[topic] = alias
            props.topicAlias = alias
        }
    }
}
