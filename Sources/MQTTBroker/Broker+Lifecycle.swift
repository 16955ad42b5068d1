import Logging
import MQTTCore
import NIOCore
public import ServiceLifecycle

extension Broker: Service {
    /// Restores stored sessions and retained messages. Call before listeners accept clients.
    public func start() async throws {
        try await restore()
    }

    /// Runs background work ($SYS topics, persistence) until graceful shutdown, then disconnects
    /// every client, saves persistent sessions and drains the storage queue.
    public func run() async throws {
        await withDiscardingTaskGroup { group in
            if let writer {
                group.addTask { await writer.run() }
            }
            group.addTask { [self] in
                await cancelWhenGracefulShutdown { await self.publishSysTopics() }
            }
            group.addTask { [self] in
                await cancelWhenGracefulShutdown { await self.saveOfflineSessions() }
            }
            // Returns on graceful shutdown, throws on cancellation: either way, shut down.
            try? await gracefulShutdown()
            await shutdown()
        }
    }

    /// Disconnects all clients (DISCONNECT 0x8B in 5.0), saves sessions, ends the writer.
    public func shutdown() async {
        let (active, sessions) = registry.withLockedValue { r in (Array(r.active.values), Array(r.sessions.values)) }
        // Wait until every connection has written its DISCONNECT and closed, so that the
        // process may exit right after.
        var closed: [EventLoopFuture<Void>] = []
        for connection in active {
            closed.append(
                connection.bound.eventLoop.submit {
                    let c = connection.bound.value
                    let packet: Packet? =
                        c.version == .v5 ? .disconnect(DisconnectPacket(reasonCode: .serverShuttingDown)) : nil
                    c.close(reason: .serverShutdown, sendDisconnect: packet)
                    return c.transport.closed
                }.flatMap { $0 })
        }
        // Bounded: a peer that never lets go does not hold the shutdown.
        let done = timerLoop.makePromise(of: Void.self)
        EventLoopFuture.whenAllComplete(closed, on: timerLoop).whenComplete { _ in done.succeed(()) }
        let timeout = timerLoop.scheduleTask(in: .seconds(5)) { done.succeed(()) }
        try? await done.futureResult.get()
        timeout.cancel()
        stopKeepAliveWheels()
        for session in sessions where session.expiryInterval > 0 {
            persistSession(session)
        }
        writer?.finish()
    }

    /// Saves offline persistent sessions whose queues changed, every `sessionSaveInterval`.
    private func saveOfflineSessions() async {
        guard writer != nil, configuration.sessionSaveInterval > 0 else { return }
        let interval = Duration.milliseconds(Int64(configuration.sessionSaveInterval * 1000))
        while !Task.isCancelled {
            do { try await Task.sleep(for: interval) } catch { return }
            let sessions = registry.withLockedValue { Array($0.sessions.values) }
            for session in sessions where !session.isConnected && session.expiryInterval > 0 {
                if session.needsSave.exchange(false, ordering: .relaxed) { persistSession(session) }
            }
        }
    }

    private func publishSysTopics() async {
        guard configuration.sysInterval > 0 else { return }
        let interval = Duration.milliseconds(Int64(configuration.sysInterval * 1000))
        while !Task.isCancelled {
            let s = stats.snapshot
            let uptime = (NIODeadline.now() - startedAt).nanoseconds / 1_000_000_000
            let values: [(String, String)] = [
                ("uptime", "\(uptime) seconds"),
                ("clients/connected", "\(s.clientsConnected)"),
                ("clients/total", "\(sessionCount)"),
                ("messages/received", "\(s.messagesReceived)"),
                ("messages/sent", "\(s.messagesSent)"),
                ("messages/dropped", "\(s.messagesDropped)"),
                ("bytes/received", "\(s.bytesReceived)"),
                ("bytes/sent", "\(s.bytesSent)"),
                ("retained messages/count", "\(retainedCount)"),
                ("version", "roost"),
            ]
            for (name, value) in values {
                publish(topic: "$SYS/broker/" + name, payload: ByteBuffer(string: value), retain: true)
            }
            do { try await Task.sleep(for: interval) } catch { return }
        }
    }
}
