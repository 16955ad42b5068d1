import MQTTCore
public import MQTTHooks
import NIOCore

extension Broker {
    /// Ends at once the connections of the clients `matches` selects, whose login is no longer
    /// valid (a device's credentials were rotated, or the device deleted): a v5 client reads
    /// DISCONNECT 0x87 (not authorized), its session is discarded with what was queued for it
    /// under the old login, and its will is published. Whatever it subscribed to stops at once;
    /// logging in again goes through authentication with the new credentials.
    /// Returns how many connections were closed.
    @discardableResult
    public func revoke(where matches: @escaping @Sendable (ClientInfo) -> Bool) async -> Int {
        let closed = await onEachConnection { connection in
            guard let client = connection.client, matches(client) else { return 0 }
            connection.revoke()
            return 1
        }
        if closed > 0 { logger.notice("revoked \(closed) connection(s): their login is no longer valid") }
        return closed
    }

    /// Runs `body` on every active connection, on its own event loop with one hop per loop
    /// (not per connection: 20,000 connections cost two hops), and sums what it returns.
    func onEachConnection(_ body: @escaping @Sendable (MQTTConnection) -> Int) async -> Int {
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, connections: [NIOLoopBound<MQTTConnection>])] = [:]
        for handle in registry.withLockedValue({ Array($0.active.values) }) {
            let loop = handle.bound.eventLoop
            byLoop[ObjectIdentifier(loop), default: (loop, [])].connections.append(handle.bound)
        }
        var total = 0
        for (loop, connections) in byLoop.values {
            let n = try? await loop.submit { connections.reduce(0) { $0 + body($1.value) } }.get()
            total += n ?? 0
        }
        return total
    }
}

extension MQTTConnection {
    /// The login this connection was admitted with is gone: close with 0x87 (v5), and let the
    /// session end with the connection.
    func revoke() {
        guard state == .connected else { return }
        session?.expiryInterval = 0
        var props = Properties()
        props.reasonString = "the login was revoked (credentials rotated or device deleted)"
        let disconnect: Packet? =
            version == .v5 ? .disconnect(DisconnectPacket(reasonCode: .notAuthorized, properties: props)) : nil
        close(reason: .revoked, sendDisconnect: disconnect)
    }
}
