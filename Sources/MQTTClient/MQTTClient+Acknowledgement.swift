public import MQTTCore
public import NIOCore

/// A QoS 1/2 message received by a client that acknowledges manually
/// (``MQTTClientConfiguration/acknowledgesManually``): hand it back to
/// ``MQTTClient/acknowledge(_:)`` once the message is safe.
public struct InboundReceipt: Sendable {
    /// The packet identifier the broker gave the message on this connection.
    public let packetID: UInt16
    /// The message's QoS: 1 is answered with PUBACK, 2 with PUBREC.
    public let qos: QoS
    /// The loop of the connection the message came on.
    public let eventLoop: any EventLoop
    /// Which connection of the client received it.
    let connection: UInt64
}

extension MQTTClient {
    /// Calls `handler` on the event loop for every message received; a QoS 1/2 message comes
    /// with a receipt, and is acknowledged only when the receipt is given to
    /// ``acknowledge(_:)``. Acknowledgements leave in the order the messages arrived
    /// [MQTT-4.6.0-2], whatever the order of the calls. QoS 0 messages come with no receipt.
    public func setMessageHandler(acknowledging handler: (@Sendable (PublishPacket, InboundReceipt?) -> Void)?) {
        var acknowledging: (@Sendable (PublishPacket, InboundReceipt) -> Void)?
        var plain: (@Sendable (PublishPacket) -> Void)?
        if let handler {
            acknowledging = { @Sendable publish, receipt in handler(publish, receipt) }
            plain = { @Sendable publish in handler(publish, nil) }
        }
        state.withLockedValue { [acknowledging, plain] s in
            s.acknowledgingHandler = acknowledging
            s.handler = plain
        }
    }

    /// Acknowledges a message taken with ``setMessageHandler(acknowledging:)``. A receipt of
    /// a connection that has closed since is ignored: the broker sends that message again on
    /// the next connection of the session (with DUP set), with a receipt of its own.
    public func acknowledge(_ receipt: InboundReceipt) {
        let packets = state.withLockedValue { s -> [Packet] in
            guard receipt.connection == s.connectionNumber else { return [] }
            s.acknowledged.insert(receipt.packetID)
            var ready: [Packet] = []
            while let first = s.awaitingAck.first, s.acknowledged.remove(first.packetID) != nil {
                s.awaitingAck.removeFirst()
                ready.append(
                    first.qos == .exactlyOnce
                        ? .pubrec(AckPacket(packetID: first.packetID)) : .puback(AckPacket(packetID: first.packetID)))
            }
            s.pendingWrites += ready
            return ready
        }
        if !packets.isEmpty { flushSoon() }
    }

    /// The number of QoS 1/2 messages received on this connection and not yet acknowledged.
    public var unacknowledgedCount: Int { state.withLockedValue { $0.awaitingAck.count } }

    /// A QoS 1/2 message under manual acknowledgement: recorded in arrival order and handed
    /// over with its receipt. A QoS 2 message sent again before its PUBREL is not handed over
    /// twice; if its PUBREC already left, it is sent again.
    func receiveForManualAcknowledgement(_ publish: PublishPacket) {
        guard let id = publish.packetID, let channel = state.withLockedValue({ $0.channel }) else { return }
        let (handler, receipt, resendPubrec) = state.withLockedValue {
            s -> ((@Sendable (PublishPacket, InboundReceipt) -> Void)?, InboundReceipt?, Bool) in
            if publish.qos == .exactlyOnce && !s.incomingQoS2.insert(id).inserted {
                let waiting = s.awaitingAck.contains { $0.packetID == id }
                return (nil, nil, !waiting)
            }
            let receipt = InboundReceipt(
                packetID: id, qos: publish.qos, eventLoop: channel.eventLoop, connection: s.connectionNumber)
            s.awaitingAck.append(receipt)
            return (s.acknowledgingHandler, receipt, false)
        }
        if resendPubrec { write(.pubrec(AckPacket(packetID: id))) }
        guard let receipt else { return }
        guard !publish.topic.isEmpty, let handler else {
            // Nothing can take it (no handler, or an unknown topic alias): acknowledged, as an
            // automatic client would, so that the broker does not hold it forever.
            acknowledge(receipt)
            return
        }
        handler(publish, receipt)
    }
}
