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
        // One hop per event loop, not per connection: a delete among 20,000 connections.
        var byLoop: [ObjectIdentifier: (loop: any EventLoop, connections: [NIOLoopBound<MQTTConnection>])] = [:]
        for handle in registry.withLockedValue({ Array($0.active.values) }) {
            let loop = handle.bound.eventLoop
            byLoop[ObjectIdentifier(loop), default: (loop, [])].connections.append(handle.bound)
        }
        var closed = 0
        for (loop, connections) in byLoop.values {
            let revoked = try? await loop.submit { () -> Int in
                var n = 0
                for bound in connections {
                    let connection = bound.value
                    guard let client = connection.client, matches(client) else { continue }
                    connection.revoke()
                    n += 1
                }
                return n
            }.get()
            closed += revoked ?? 0
        }
        if closed > 0 { logger.notice("revoked \(closed) connection(s): their login is no longer valid") }
        return closed
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
