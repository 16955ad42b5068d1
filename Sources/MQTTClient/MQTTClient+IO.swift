import Logging
import MQTTCore
import NIOCore

extension MQTTClient {
    // MARK: Writing

    /// Queues a packet; packets queued in the same event-loop turn go out in one write.
    func write(_ packet: Packet) {
        state.withLockedValue { $0.pendingWrites.append(packet) }
        flushSoon()
    }

    func flushSoon() {
        let loop = state.withLockedValue { s -> (any EventLoop)? in
            guard !s.flushScheduled, let channel = s.channel else { return nil }
            s.flushScheduled = true
            return channel.eventLoop
        }
        loop?.execute { self.flushNow() }
    }

    func flushNow() {
        let (packets, channel, version) = state.withLockedValue { s in
            s.flushScheduled = false
            let p = s.pendingWrites
            s.pendingWrites = []
            return (p, s.channel, s.version)
        }
        guard let channel, !packets.isEmpty else { return }
        var buffer = channel.allocator.buffer(capacity: 128 * packets.count)
        for packet in packets { packet.encode(version: version, into: &buffer) }
        channel.writeAndFlush(buffer, promise: nil)
    }

    // MARK: Reading

    /// Handles one packet from the broker (called on the channel's event loop).
    func handle(_ packet: Packet) {
        switch packet {
        case .connack(let connack):
            let promise = state.withLockedValue { s -> EventLoopPromise<ConnAckPacket>? in
                defer { s.connack = nil }
                return s.connack
            }
            promise?.succeed(connack)
        case .publish(let publish):
            receive(publish)
        case .puback(let ack):
            complete(ack.packetID) { waiter, s in
                guard case .puback(let p) = waiter else { return nil }
                s.unacked.removeValue(forKey: ack.packetID)
                return { p.succeed(ack) }
            }
        case .pubrec(let ack):
            complete(ack.packetID) { waiter, s in
                guard case .pubrec(let p) = waiter else { return nil }
                if ack.reasonCode.isFailure {
                    s.unacked.removeValue(forKey: ack.packetID)
                    return { p.succeed(ack) }
                }
                // Keep the id busy until PUBCOMP; resend PUBREL, not PUBLISH, after reconnect.
                s.waiters[ack.packetID] = .pubcomp(p)
                return { self.write(.pubrel(AckPacket(packetID: ack.packetID))) }
            }
        case .pubcomp(let ack):
            complete(ack.packetID) { waiter, s in
                guard case .pubcomp(let p) = waiter else { return nil }
                s.unacked.removeValue(forKey: ack.packetID)
                return { p.succeed(ack) }
            }
        case .pubrel(let rel):
            state.withLockedValue { _ = $0.incomingQoS2.remove(rel.packetID) }
            write(.pubcomp(AckPacket(packetID: rel.packetID)))
        case .suback(let ack):
            complete(ack.packetID) { waiter, _ in
                guard case .suback(let p) = waiter else { return nil }
                return { p.succeed(ack) }
            }
        case .unsuback(let ack):
            complete(ack.packetID) { waiter, _ in
                guard case .unsuback(let p) = waiter else { return nil }
                return { p.succeed(ack) }
            }
        case .pingresp:
            let waiter = state.withLockedValue { s -> EventLoopPromise<Void>? in
                s.pingOutstanding = false
                return s.pings.isEmpty ? nil : s.pings.removeFirst()
            }
            waiter?.succeed(())
        case .disconnect(let d):
            logger.info("broker sent DISCONNECT \(d.reasonCode)")
            state.withLockedValue { $0.lastDisconnect = d.reasonCode }
        case .connect, .subscribe, .unsubscribe, .pingreq, .auth:
            logger.warning("unexpected \(packet.type) from broker")
        }
    }

    private func complete(_ id: UInt16, _ body: (Waiter, inout State) -> (() -> Void)?) {
        let action = state.withLockedValue { s -> (() -> Void)? in
            guard let waiter = s.waiters.removeValue(forKey: id) else { return nil }
            let action = body(waiter, &s)
            if action == nil { s.waiters[id] = waiter }
            return action
        }
        action?()
    }

    private func receive(_ incoming: PublishPacket) {
        var publish = incoming
        resolveAlias(&publish)
        if configuration.acknowledgesManually && publish.qos != .atMostOnce {
            receiveForManualAcknowledgement(publish)
            return
        }
        let (listeners, handler, deliver) = state.withLockedValue {
            s -> ([AsyncStream<PublishPacket>.Continuation], (@Sendable (PublishPacket) -> Void)?, Bool) in
            var deliver = !publish.topic.isEmpty
            if publish.qos == .exactlyOnce, let id = publish.packetID {
                // A resent QoS 2 message still awaiting PUBREL is not delivered twice.
                deliver = s.incomingQoS2.insert(id).inserted
            }
            return (s.listeners.isEmpty ? [] : Array(s.listeners.values), s.handler, deliver)
        }
        if deliver {
            handler?(publish)
            for listener in listeners { listener.yield(publish) }
        }
        switch publish.qos {
        case .atMostOnce: break
        case .atLeastOnce: write(.puback(AckPacket(packetID: publish.packetID!)))
        case .exactlyOnce: write(.pubrec(AckPacket(packetID: publish.packetID!)))
        }
    }

    /// Resolves the broker's topic alias (v5): remembers it, or fills an empty topic with it
    /// (left empty, and so not delivered, when the alias is unknown).
    func resolveAlias(_ publish: inout PublishPacket) {
        guard !publish.properties.isEmpty, let alias = publish.properties.topicAlias else { return }
        state.withLockedValue { s in
            if publish.topic.isEmpty {
                if let topic = s.inboundAliases[alias] { publish.topic = topic }
            } else {
                s.inboundAliases[alias] = publish.topic
            }
        }
    }

    // MARK: Keep alive

    func scheduleKeepAlive(channel: any Channel) {
        let seconds = configuration.keepAlive
        guard seconds > 0 else { return }
        channel.eventLoop.scheduleTask(in: .seconds(Int64(seconds))) { [weak self] in
            guard let self, channel.isActive else { return }
            let timedOut = self.state.withLockedValue { s -> Bool in
                if s.pingOutstanding { return true }
                s.pingOutstanding = true
                return false
            }
            if timedOut {
                self.logger.warning("no PINGRESP within keep alive; closing")
                channel.close(promise: nil)
                return
            }
            self.write(.pingreq)
            self.scheduleKeepAlive(channel: channel)
        }
    }

    // MARK: Connection loss

    /// The channel closed: fail waiters that cannot complete, then reconnect if configured.
    func channelClosed(_ channel: any Channel) {
        var finished: [AsyncStream<PublishPacket>.Continuation] = []
        let (connack, failing, reconnect) = state.withLockedValue {
            s -> (EventLoopPromise<ConnAckPacket>?, [Waiter], Bool) in
            guard s.channel === channel else { return (nil, [], false) }
            s.channel = nil
            s.pingOutstanding = false
            for ping in s.pings { ping.fail(MQTTClientError.notConnected) }
            s.pings = []
            s.pendingWrites = []
            s.flushScheduled = false
            let connack = s.connack
            s.connack = nil
            let reconnect = !s.closedByUser && configuration.reconnect != nil && !s.reconnecting
            var failing: [Waiter] = []
            if !reconnect {
                failing = Array(s.waiters.values)
                s.waiters = [:]
                s.unacked = [:]
                finished = Array(s.listeners.values)
                s.listeners = [:]
            } else {
                // Publishes stay waiting (resent after reconnect); (un)subscribes fail.
                for (id, w) in s.waiters {
                    switch w {
                    case .suback, .unsuback:
                        failing.append(w)
                        s.waiters.removeValue(forKey: id)
                    default: break
                    }
                }
                s.reconnecting = true
            }
            return (connack, failing, reconnect)
        }
        // Finished outside the lock: a stream's termination handler takes it.
        for listener in finished { listener.finish() }
        connack?.fail(MQTTClientError.notConnected)
        for waiter in failing {
            switch waiter {
            case .puback(let p), .pubrec(let p), .pubcomp(let p): p.fail(MQTTClientError.notConnected)
            case .suback(let p), .unsuback(let p): p.fail(MQTTClientError.notConnected)
            }
        }
        if reconnect { Task { await self.reconnectLoop() } }
    }

    private func reconnectLoop() async {
        guard let policy = configuration.reconnect else { return }
        var attempt = 0
        while policy.maxAttempts.map({ attempt < $0 }) ?? true {
            if state.withLockedValue({ $0.closedByUser }) { break }
            try? await Task.sleep(for: .milliseconds(Int64(policy.delay(attempt: attempt) * 1000)))
            attempt += 1
            do {
                let connack = try await establish(cleanStart: false)
                state.withLockedValue { $0.reconnecting = false }
                logger.info("reconnected (session present: \(connack.sessionPresent))")
                if !connack.sessionPresent {
                    let subs = state.withLockedValue { Array($0.subscriptions.values) }
                    if !subs.isEmpty { _ = try? await subscribe(subs) }
                }
                return
            } catch {
                logger.debug("reconnect attempt \(attempt) failed: \(error)")
            }
        }
        // Gave up: fail what still waits.
        let (waiters, finished) = state.withLockedValue { s -> ([Waiter], [AsyncStream<PublishPacket>.Continuation]) in
            s.reconnecting = false
            let w = Array(s.waiters.values)
            s.waiters = [:]
            s.unacked = [:]
            let l = Array(s.listeners.values)
            s.listeners = [:]
            return (w, l)
        }
        for listener in finished { listener.finish() }
        for waiter in waiters {
            switch waiter {
            case .puback(let p), .pubrec(let p), .pubcomp(let p): p.fail(MQTTClientError.notConnected)
            case .suback(let p), .unsuback(let p): p.fail(MQTTClientError.notConnected)
            }
        }
    }
}
