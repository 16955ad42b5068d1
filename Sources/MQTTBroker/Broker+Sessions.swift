import Logging
import MQTTCore
import NIOCore

extension Broker {
    /// Finds or creates the session of `clientID` for a connection that just sent CONNECT,
    /// taking over any connection that still holds it. Returns the session and whether an old
    /// one was resumed (CONNACK's session present).
    func openSession(clientID: String, cleanStart: Bool, connection: MQTTConnection, expiry: UInt32) -> (Session, Bool)
    {
        let handle = ActiveConnection(
            id: ObjectIdentifier(connection), bound: NIOLoopBound(connection, eventLoop: connection.eventLoop))
        let (session, present, previous, discarded) = registry.withLockedValue {
            r -> (Session, Bool, ActiveConnection?, Session?) in
            let previous = r.active.updateValue(handle, forKey: clientID)
            r.wills.removeValue(forKey: clientID)?.cancel()
            r.expiries.removeValue(forKey: clientID)?.cancel()
            if let existing = r.sessions[clientID], !cleanStart {
                return (existing, true, previous, nil)
            }
            let fresh = makeSession(clientID)
            let old = r.sessions.updateValue(fresh, forKey: clientID)
            return (fresh, false, previous, old)
        }
        if let previous {
            previous.bound.eventLoop.execute { previous.bound.value.takeOver() }
        }
        if let discarded {
            for (sub, _) in discarded.subscriptions { tree.unsubscribe(clientID, filter: sub.filter) }
            writer?.submit(.deleteSession(clientID))
        }
        return (session, present)
    }

    func makeSession(_ clientID: String) -> Session {
        Session(clientID: clientID, configuration: configuration, onDrop: { [stats] in stats.messageDropped() })
    }

    /// A connected client went away: observers, will, and the session's fate.
    func clientDisconnected(
        client: ClientInfo, session: Session, outlet: ConnectionOutlet, connectionID: ObjectIdentifier, will: Will?,
        reason: DisconnectReason
    ) {
        stats.connected.add(-1, ordering: .relaxed)
        let detached = session.detach(outlet)
        let clientID = client.clientID
        registry.withLockedValue { r in
            if let active = r.active[clientID], active.id == connectionID {
                r.active.removeValue(forKey: clientID)
            }
        }
        for observer in hooks.observers { observer.clientDisconnected(client, reason: reason) }
        let expiry = session.expiryInterval
        // Taken over by a connection that resumes this very session: whether it attached
        // before this one detached is a race between two event loops, so ask the registry.
        let resumed = reason == .takenOver && registry.withLockedValue { $0.sessions[clientID] === session }
        if let will {
            let willDelay = will.properties.willDelayInterval ?? 0
            if willDelay > 0 && (!detached || resumed) {
                // A new connection took the session over within the will delay: no will
                // [MQTT-3.1.3-9].
            } else {
                scheduleWill(will, clientID: clientID, client: client, delay: detached ? min(willDelay, expiry) : 0)
            }
        }
        // The session goes on with the new connection: nothing to save or expire.
        guard detached, !resumed else { return }
        if expiry == 0 {
            let filters = session.subscriptions.map(\.0.filter)
            removeSession(session)
            for observer in hooks.observers { observer.sessionEnded(client, filters: filters) }
        } else {
            persistSession(session)
            if expiry != UInt32.max { scheduleExpiry(session, after: expiry) }
        }
    }

    private func scheduleWill(_ will: Will, clientID: String, client: ClientInfo, delay: UInt32) {
        let message = Message(
            topic: will.topic, payload: will.payload, qos: will.qos, retain: will.retain,
            properties: will.properties.forwardable, publisherID: clientID)
        if delay == 0 {
            logger.debug("publishing will", metadata: ["client": "\(clientID)", "topic": "\(will.topic)"])
            publish(message, from: client, on: timerLoop)
            return
        }
        let task = timerLoop.scheduleTask(in: .seconds(Int64(delay))) { [self] in
            registry.withLockedValue { _ = $0.wills.removeValue(forKey: clientID) }
            publish(message, from: client, on: timerLoop)
        }
        registry.withLockedValue { $0.wills[clientID] = task }
    }

    private func scheduleExpiry(_ session: Session, after seconds: UInt32) {
        let clientID = session.clientID
        let task = timerLoop.scheduleTask(in: .seconds(Int64(seconds))) { [self] in
            let stillIdle = registry.withLockedValue { r -> Bool in
                r.expiries.removeValue(forKey: clientID)
                return r.sessions[clientID] === session && !session.isConnected
            }
            if stillIdle { removeSession(session) }
        }
        registry.withLockedValue { $0.expiries[clientID] = task }
    }

    /// Ends a session: its subscriptions leave the tree and its stored copy is deleted.
    func removeSession(_ session: Session) {
        let removed = registry.withLockedValue { r -> Bool in
            guard r.sessions[session.clientID] === session else { return false }
            r.sessions.removeValue(forKey: session.clientID)
            return true
        }
        guard removed else { return }
        for (sub, _) in session.subscriptions { tree.unsubscribe(session.clientID, filter: sub.filter) }
        writer?.submit(.deleteSession(session.clientID))
    }

    /// Writes a persistent session's current state behind (no-op for clean sessions).
    func persistSession(_ session: Session) {
        guard let writer, session.expiryInterval > 0 else { return }
        writer.submit(.saveSession(snapshot(session)))
    }

    func snapshot(_ session: Session) -> StoredSession {
        StoredSession(
            clientID: session.clientID, expiryInterval: session.expiryInterval,
            subscriptions: session.subscriptions.map { .init(subscription: $0.0, identifier: $0.1) },
            pending: session.pendingMessages.map {
                StoredMessage($0.message, qos: $0.qos, retain: $0.retain, subscriptionIDs: $0.subscriptionIDs)
            })
    }

    /// Rebuilds sessions and retained messages from storage (at start, before listeners open).
    func restore() async throws {
        guard let persistence else { return }
        let retained = try await persistence.loadRetained()
        for stored in retained {
            guard let (message, _) = stored.decode(), !message.isExpired() else { continue }
            tree.setRetained(message)
        }
        let sessions = try await persistence.loadSessions()
        for stored in sessions {
            let session = makeSession(stored.clientID)
            session.expiryInterval = stored.expiryInterval
            for entry in stored.subscriptions {
                _ = session.addSubscription(entry.subscription, identifier: entry.identifier)
                tree.subscribe(session, entry.subscription, identifier: entry.identifier)
            }
            session.restore(
                pending: stored.pending.compactMap { item in
                    guard let (message, ids) = item.decode() else { return nil }
                    return Session.Queued(
                        message: message, qos: message.qos, retain: message.retain, subscriptionIDs: ids)
                })
            registry.withLockedValue { $0.sessions[stored.clientID] = session }
            if stored.expiryInterval != UInt32.max { scheduleExpiry(session, after: stored.expiryInterval) }
        }
        logger.info("restored \(sessions.count) sessions and \(retained.count) retained messages")
    }
}
