import DequeModule
import Logging
import MQTTCore
import NIOCore

/// The broker's side of one client connection: decodes packets and runs the protocol.
///
/// Confined to its transport's event loop; other threads reach it only through the outlet,
/// and async work (authentication, commit futures) hops back with ``NIOLoopBound``.
final class MQTTConnection {
    enum State {
        case awaitingConnect
        case authenticating
        case connected
        case closed
    }

    /// An acknowledgement held until its message is committed; sent in arrival order
    /// [MQTT-4.6.0-2].
    struct PendingAck {
        var packet: Packet
        var ready: Bool
        /// The commit it waits for (many acknowledgements can share one).
        var commit: ObjectIdentifier? = nil
    }

    let broker: Broker
    let transport: any ConnectionTransport
    let listener: String
    let eventLoop: any EventLoop
    /// The broker's logger with this connection's peer and client id. Made when something is
    /// logged (rarely: connects, refusals, closes) rather than kept: an idle connection does
    /// not carry a metadata dictionary of its own.
    var logger: Logger {
        var logger = broker.logger
        logger[metadataKey: "remote"] = .string(transport.remoteAddress ?? "-")
        if let id = loggedClientID { logger[metadataKey: "client"] = .string(id) }
        return logger
    }
    /// The client id once CONNECT named it (for ``logger``).
    var loggedClientID: String?

    var state = State.awaitingConnect
    var version = ProtocolVersion.v3_1_1
    var cumulation: ByteBuffer?
    var session: Session?
    var outlet: ConnectionOutlet?
    var client: ClientInfo?
    var will: Will?
    var keepAlive: TimeAmount = .zero
    var lastActivity = NIODeadline.now()
    /// The wheel that watches the keep alive, and this connection's slot in it (-1: none).
    var keepAliveWheel: KeepAliveWheel?
    var keepAliveSlot = -1
    var connectTimeoutTask: Scheduled<Void>?
    var disconnectReason = DisconnectReason.connectionLost
    var topicAliases: [UInt16: String] = [:]
    var topicAliasMaximum: UInt16 = 0
    var pendingAcks: Deque<PendingAck> = []
    /// The last commit a callback was registered on: acknowledgements waiting for the same one
    /// need no callback of their own.
    var watchedCommit: EventLoopFuture<Void>?
    /// Reading paused because too many acknowledgements wait for commits.
    var pausedForAcks = false
    /// Reading paused because subscribers of this client's messages are behind.
    var pausedForSlowConsumers = false
    var slowConsumerTimer: Scheduled<Void>?
    /// Fires when the socket stayed unwritable too long: the client reads nothing it is sent.
    var stalledWriteTimer: Scheduled<Void>?
    var readsPaused: Bool { pausedForAcks || pausedForSlowConsumers }
    /// Whether this connection holds one of the broker's connection slots.
    var counted = false

    init(broker: Broker, transport: any ConnectionTransport, listener: String) {
        self.broker = broker
        self.transport = transport
        self.listener = listener
        self.eventLoop = transport.eventLoop
    }

    /// Called once the transport is up: arms the time-to-CONNECT limit.
    func start() {
        guard broker.connectionOpened() else {
            logger.warning("connection refused: maximum connections reached")
            transport.close()
            state = .closed
            return
        }
        counted = true
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        connectTimeoutTask = eventLoop.scheduleTask(
            in: .milliseconds(Int64(broker.configuration.connectTimeout * 1000))
        ) {
            let connection = bound.value
            if connection.state == .awaitingConnect || connection.state == .authenticating {
                connection.logger.info("no CONNECT in time, closing")
                connection.close(reason: .protocolError(.maximumConnectTime), sendDisconnect: nil)
            }
        }
    }

    // MARK: Inbound bytes

    /// New bytes from the transport.
    func receive(_ bytes: ByteBuffer) {
        guard state != .closed else { return }
        broker.stats.bytesReceived(bytes.readableBytes)
        if cumulation == nil {
            cumulation = bytes
        } else {
            var incoming = bytes
            cumulation!.writeBuffer(&incoming)
        }
        lastActivity = .now()
        outlet?.beginBurst()
        processCumulation()
    }

    /// The transport finished a read burst: write what was produced.
    func readComplete() {
        outlet?.endBurst()
        if let buffer = cumulation, buffer.readableBytes == 0 {
            cumulation = nil
        } else if cumulation != nil, cumulation!.readerIndex > 65_536 {
            cumulation!.discardReadBytes()
        }
    }

    func processCumulation() {
        while state == .awaitingConnect || state == .connected, !readsPaused, cumulation != nil {
            let frame: PacketFramer.Frame?
            do {
                frame = try PacketFramer.next(from: &cumulation!, maximumSize: broker.configuration.maxPacketSize)
            } catch {
                protocolViolation(error)
                return
            }
            guard let frame else {
                if state == .awaitingConnect, cumulation!.readableBytes > broker.configuration.maxPacketSize {
                    protocolViolation(MQTTCodecError(.packetTooLarge, "CONNECT too large"))
                }
                return
            }
            let packet: Packet
            do {
                packet = try Packet.decode(frame, version: version)
            } catch {
                if state == .awaitingConnect, frame.header >> 4 == 1,
                    frame.body.getInteger(at: frame.body.readerIndex + 6, as: UInt8.self) == 5
                {
                    // A v5 CONNECT that failed to parse is answered with a v5 CONNACK.
                    version = .v5
                }
                protocolViolation(error)
                return
            }
            broker.stats.packetReceived()
            handle(packet)
        }
        if state == .authenticating, let c = cumulation, c.readableBytes > broker.configuration.maxPacketSize * 4 {
            protocolViolation(MQTTCodecError(.quotaExceeded, "too much data before CONNACK"))
        }
    }

    func handle(_ packet: Packet) {
        if state == .awaitingConnect {
            guard case .connect(let connect) = packet else {
                // The first packet must be CONNECT [MQTT-3.1.0-1].
                protocolViolation(MQTTCodecError(.protocolError, "first packet was \(packet.type), not CONNECT"))
                return
            }
            handleConnect(connect)
            return
        }
        switch packet {
        case .connect:
            protocolViolation(MQTTCodecError(.protocolError, "second CONNECT"))
        case .publish(let publish):
            handlePublish(publish)
        case .puback(let ack):
            if let delivered = session?.handlePubAck(ack.packetID) { reportDelivery(delivered) }
        case .pubrec(let ack):
            if let rel = session?.handlePubRec(ack.packetID, reasonCode: ack.reasonCode) {
                send(.pubrel(rel))
            }
        case .pubrel(let ack):
            handlePubRel(ack)
        case .pubcomp(let ack):
            if let delivered = session?.handlePubComp(ack.packetID) { reportDelivery(delivered) }
        case .subscribe(let subscribe):
            handleSubscribe(subscribe)
        case .unsubscribe(let unsubscribe):
            handleUnsubscribe(unsubscribe)
        case .pingreq:
            send(.pingresp)
        case .disconnect(let disconnect):
            handleDisconnect(disconnect)
        case .auth:
            // Enhanced authentication is not offered, so AUTH is a protocol error [MQTT-4.12.0-1].
            protocolViolation(MQTTCodecError(.protocolError, "AUTH without an authentication method"))
        case .connack, .suback, .unsuback, .pingresp:
            protocolViolation(MQTTCodecError(.protocolError, "\(packet.type) is sent by servers only"))
        }
    }

    func handleDisconnect(_ disconnect: DisconnectPacket) {
        if version == .v5, let expiry = disconnect.properties.sessionExpiryInterval, let session {
            // Changing a zero expiry to non-zero at DISCONNECT is a protocol error [MQTT-3.14.2-2].
            if session.expiryInterval == 0 && expiry != 0 {
                protocolViolation(MQTTCodecError(.protocolError, "session expiry set at DISCONNECT"))
                return
            }
            session.expiryInterval = min(expiry, broker.configuration.maxSessionExpiry)
        }
        close(reason: .clientDisconnected(disconnect.reasonCode), sendDisconnect: nil)
    }

    // MARK: Output

    func send(_ packet: Packet) {
        if let outlet {
            outlet.send(.packet(packet))
        } else {
            var buffer = ByteBufferAllocator().buffer(capacity: 16)
            packet.encode(version: version, into: &buffer)
            transport.write(buffer)
        }
    }

    // MARK: Ending

    /// A malformed packet or protocol violation: v5 gets DISCONNECT with the reason code
    /// (CONNACK before the connection is accepted); 3.1.1 just closes [MQTT-4.8.0-1].
    func protocolViolation(_ error: any Error) {
        let codecError = error as? MQTTCodecError ?? MQTTCodecError(.unspecifiedError, "\(error)")
        logger.info("closing connection: \(codecError.message)", metadata: ["reason": "\(codecError.reasonCode)"])
        broker.stats.protocolError()
        var disconnect: Packet?
        if state == .awaitingConnect && codecError.reasonCode == .unsupportedProtocolVersion {
            // Unknown protocol level: CONNACK 0x01 in 3.1.1 form, then close [MQTT-3.1.2-2].
            disconnect = .connack(ConnAckPacket(reasonCode: .unsupportedProtocolVersion))
        } else if version == .v5 {
            var props = Properties()
            props.reasonString = codecError.message
            if state == .connected {
                disconnect = .disconnect(DisconnectPacket(reasonCode: codecError.reasonCode, properties: props))
            } else {
                disconnect = .connack(ConnAckPacket(reasonCode: codecError.reasonCode, properties: props))
            }
        }
        close(reason: .protocolError(codecError.reasonCode), sendDisconnect: disconnect)
    }

    /// Ends the connection once: optional last packet, will, session detach, transport close.
    func close(reason: DisconnectReason, sendDisconnect: Packet?) {
        guard state != .closed else { return }
        stalledWriteTimer?.cancel()
        stalledWriteTimer = nil
        let wasConnected = state == .connected
        state = .closed
        disconnectReason = reason
        if let sendDisconnect {
            var buffer = ByteBufferAllocator().buffer(capacity: 32)
            outlet?.flush()
            sendDisconnect.encode(version: version, into: &buffer)
            transport.write(buffer)
        } else {
            outlet?.flush()
        }
        outlet?.shut()
        transport.close()
        finish(wasConnected: wasConnected)
    }

    /// The transport closed (by us or by the peer).
    func transportClosed() {
        if state != .closed {
            let wasConnected = state == .connected
            state = .closed
            outlet?.shut()
            finish(wasConnected: wasConnected)
        }
    }

    private var finished = false

    private func finish(wasConnected: Bool) {
        guard !finished else { return }
        finished = true
        connectTimeoutTask?.cancel()
        keepAliveWheel?.remove(self)
        keepAliveWheel = nil
        slowConsumerTimer?.cancel()
        if counted { broker.connectionClosed() }
        guard wasConnected, let client, let session, let outlet else { return }
        broker.clientDisconnected(
            client: client, session: session, outlet: outlet, connectionID: ObjectIdentifier(self),
            will: disconnectReason.publishesWill ? will : nil,
            reason: disconnectReason)
    }
}
