import Logging
import MQTTCore
import NIOCore

extension MQTTConnection {
    func handlePublish(_ publish: PublishPacket) {
        guard let client, let session else { return }
        var topic = publish.topic
        // Topic aliases (5.0): set or use a mapping [MQTT-3.3.2-10 … 12].
        // Properties are read only when present: most publishes carry none.
        let hasProperties = !publish.properties.isEmpty
        if hasProperties, let alias = publish.properties.topicAlias {
            guard alias <= topicAliasMaximum else {
                protocolViolation(MQTTCodecError(.topicAliasInvalid, "topic alias \(alias) out of range"))
                return
            }
            if topic.isEmpty {
                guard let known = topicAliases[alias] else {
                    protocolViolation(MQTTCodecError(.protocolError, "unknown topic alias \(alias)"))
                    return
                }
                topic = known
            } else {
                topicAliases[alias] = topic
            }
        }
        if hasProperties && !publish.properties.subscriptionIdentifiers.isEmpty {
            protocolViolation(MQTTCodecError(.protocolError, "PUBLISH from a client carries a subscription identifier"))
            return
        }
        if publish.payload.readableBytes > broker.configuration.maxPayloadSize {
            if version == .v5 {
                protocolViolation(
                    MQTTCodecError(.packetTooLarge, "payload larger than \(broker.configuration.maxPayloadSize) bytes"))
            } else {
                protocolViolation(MQTTCodecError(.malformedPacket, "payload too large"))
            }
            return
        }
        if publish.qos == .exactlyOnce, let id = publish.packetID {
            if session.incomingQoS2Count >= Int(broker.configuration.receiveMaximum), !session.hasIncomingQoS2(id) {
                protocolViolation(
                    MQTTCodecError(.receiveMaximumExceeded, "more than receive maximum QoS 2 messages in flight"))
                return
            }
            if !session.beginIncomingQoS2(id) {
                // A retransmission of a QoS 2 message already received: acknowledge, route once.
                queueAck(.pubrec(AckPacket(packetID: id)), ready: true)
                return
            }
        }
        broker.stats.messageReceived()

        let message = Message(
            topic: topic, payload: publish.payload, qos: publish.qos, retain: publish.retain,
            properties: publish.properties, publisherID: client.clientID)
        let admitted: AdmittedMessage
        switch broker.admit(message, from: client) {
        case .rejected(let code):
            rejectPublish(publish, code)
            return
        case .admitted(let accepted):
            admitted = accepted
        }
        let outcome = broker.route(admitted.message, from: client, on: eventLoop)
        if !outcome.congested.isEmpty { waitForSlowConsumers(outcome.congested) }
        let commit = outcome.commit
        switch publish.qos {
        case .atMostOnce:
            return
        case .atLeastOnce:
            acknowledge(.puback(AckPacket(packetID: publish.packetID!)), after: commit)
        case .exactlyOnce:
            acknowledge(.pubrec(AckPacket(packetID: publish.packetID!)), after: commit)
        }
    }

    /// Refuses a PUBLISH: 5.0 says why in PUBACK/PUBREC; 3.1.1 has no way to say no, so the
    /// message is acknowledged and dropped, as the 3.1.1 spec allows [MQTT-3.3.5-2].
    private func rejectPublish(_ publish: PublishPacket, _ code: ReasonCode) {
        guard let id = publish.packetID else { return }
        if publish.qos == .exactlyOnce { _ = session?.releaseIncomingQoS2(id) }
        let reason = version == .v5 ? code : .success
        switch publish.qos {
        case .atMostOnce: return
        case .atLeastOnce: queueAck(.puback(AckPacket(packetID: id, reasonCode: reason)), ready: true)
        case .exactlyOnce: queueAck(.pubrec(AckPacket(packetID: id, reasonCode: reason)), ready: true)
        }
    }

    func handlePubRel(_ rel: AckPacket) {
        let known = session?.releaseIncomingQoS2(rel.packetID) ?? false
        let code: ReasonCode = known || version != .v5 ? .success : .packetIdentifierNotFound
        queueAck(.pubcomp(AckPacket(packetID: rel.packetID, reasonCode: code)), ready: true)
    }

    // MARK: Ordered acknowledgements

    /// Sends `ack` once `commit` (if any) succeeds, keeping acknowledgements in arrival order.
    /// A store commits messages in batches and hands out one future per batch and event loop,
    /// so one callback per commit releases all the acknowledgements waiting for it.
    private func acknowledge(_ ack: Packet, after commit: EventLoopFuture<Void>?) {
        guard let commit else {
            queueAck(ack, ready: true)
            return
        }
        let id = ObjectIdentifier(commit)
        pendingAcks.append(PendingAck(packet: ack, ready: false, commit: id))
        if pendingAcks.count >= Int(broker.configuration.receiveMaximum) { setPaused(acks: true) }
        if watchedCommit === commit { return }
        watchedCommit = commit
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        commit.hop(to: eventLoop).whenComplete { result in
            let connection = bound.value
            if connection.watchedCommit === commit { connection.watchedCommit = nil }
            guard connection.state == .connected else { return }
            if case .failure(let error) = result {
                // Not stored: no acknowledgement, so the client retries. Drop the connection so
                // that it does so now rather than after a keep-alive.
                connection.logger.error("message not committed: \(error)")
                connection.close(
                    reason: .protocolError(.unspecifiedError),
                    sendDisconnect:
                        connection.version == .v5 ? .disconnect(DisconnectPacket(reasonCode: .unspecifiedError)) : nil)
                return
            }
            for i in connection.pendingAcks.indices where connection.pendingAcks[i].commit == id {
                connection.pendingAcks[i].ready = true
                connection.pendingAcks[i].commit = nil
            }
            // Sent with the outlet's next flush: all acknowledgements released in this turn
            // of the loop (a committed batch completes them together) leave in one write.
            connection.releaseReadyAcks()
        }
    }

    func queueAck(_ ack: Packet, ready: Bool) {
        if pendingAcks.isEmpty {
            send(ack)
            return
        }
        pendingAcks.append(PendingAck(packet: ack, ready: ready))
    }

    private func releaseReadyAcks() {
        while let head = pendingAcks.first, head.ready {
            pendingAcks.removeFirst()
            send(head.packet)
        }
        if pausedForAcks && pendingAcks.count < Int(broker.configuration.receiveMaximum) / 2 {
            setPaused(acks: false)
        }
    }

    // MARK: Backpressure

    /// Stops reading this client's socket until the slow subscribers drain (or the pause limit
    /// passes), so that publishers cannot outrun subscribers without bound.
    private func waitForSlowConsumers(_ sessions: [Session]) {
        guard !pausedForSlowConsumers else { return }
        setPaused(slowConsumers: true)
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let remaining = NIOLoopBoundBox(sessions.count, eventLoop: eventLoop)
        for session in sessions {
            session.whenDrained { [eventLoop] in
                eventLoop.execute {
                    remaining.value -= 1
                    if remaining.value == 0 { bound.value.slowConsumersDrained() }
                }
            }
        }
        let limit = TimeAmount.milliseconds(Int64(broker.configuration.slowConsumerMaxPause * 1000))
        slowConsumerTimer = eventLoop.scheduleTask(in: limit) { bound.value.slowConsumersDrained() }
    }

    private func slowConsumersDrained() {
        guard pausedForSlowConsumers, state == .connected else { return }
        slowConsumerTimer?.cancel()
        slowConsumerTimer = nil
        setPaused(slowConsumers: false)
    }

    /// The socket's outbound buffer went past its high-water mark (the client does not read
    /// what it is sent), or back under the low one. A client that stays so for
    /// `stalledWriteTimeout` is closed (0x97 quota exceeded, if it ever reads it): what it
    /// keeps publishing meanwhile makes its acknowledgements queue here, for that long at
    /// most. Deliveries to it are bounded already (QoS 0 dropped, QoS 1/2 by the inflight
    /// window). Pausing its reads while it is unwritable would also keep it from taking the
    /// event loop from others (docs/performance.md, "Abusive clients"): not done.
    func writabilityChanged(_ writable: Bool) {
        stalledWriteTimer?.cancel()
        stalledWriteTimer = nil
        guard !writable, state == .connected || state == .awaitingConnect else { return }
        let bound = NIOLoopBound(self, eventLoop: eventLoop)
        let limit = TimeAmount.milliseconds(Int64(broker.configuration.stalledWriteTimeout * 1000))
        stalledWriteTimer = eventLoop.scheduleTask(in: limit) {
            let connection = bound.value
            guard connection.state == .connected || connection.state == .awaitingConnect else { return }
            connection.logger.notice("closing a client that reads nothing it is sent")
            var props = Properties()
            props.reasonString = "the client read nothing for \(Int(connection.broker.configuration.stalledWriteTimeout)) s"
            let disconnect: Packet? =
                connection.version == .v5
                ? .disconnect(DisconnectPacket(reasonCode: .quotaExceeded, properties: props)) : nil
            connection.close(reason: .protocolError(.quotaExceeded), sendDisconnect: disconnect)
        }
    }

    /// Pauses or resumes reading for one reason; the socket is read only when no reason holds.
    private func setPaused(acks: Bool? = nil, slowConsumers: Bool? = nil) {
        let wasPaused = readsPaused
        if let acks { pausedForAcks = acks }
        if let slowConsumers { pausedForSlowConsumers = slowConsumers }
        if readsPaused != wasPaused {
            transport.setAutoRead(!readsPaused)
            if !readsPaused { processCumulation() }
        }
    }
}
