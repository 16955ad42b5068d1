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
        let connections = registry.withLockedValue { Array($0.active.values) }
        var closed = 0
        for handle in connections {
            let bound = handle.bound
            let revoked = try? await bound.eventLoop.submit { () -> Bool in
                let connection = bound.value
                guard let client = connection.client, matches(client) else { return false }
                connection.revoke()
                return true
            }.get()
            if revoked == true { closed += 1 }
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
