import MQTTCore
public import MQTTHooks
import NIOCore

extension Broker {
    /// Checks every connected client's subscriptions against the authorizers as they are now
    /// (after an ACL file was read again) and drops those no longer allowed: their messages
    /// stop at once. Sessions offline now are checked when they next connect. Returns how many
    /// subscriptions were dropped.
    @discardableResult
    public func recheckSubscriptions() async -> Int {
        let dropped = await onEachConnection { $0.recheckSubscriptions() }
        if dropped > 0 { logger.notice("dropped \(dropped) subscription(s) the ACL no longer allows") }
        return dropped
    }

    /// Drops the subscriptions of `session` that `client` may no longer make; returns how many.
    func dropUnauthorizedSubscriptions(of session: Session, for client: ClientInfo) -> Int {
        guard !client.isSuperuser, !hooks.authorizers.isEmpty else { return 0 }
        var dropped = 0
        for (subscription, _) in session.subscriptions {
            // The same question SUBSCRIBE was asked.
            guard !hooks.authorize(client, .subscribe, topic: subscription.filter) else { continue }
            if session.removeSubscription(subscription.filter) {
                tree.unsubscribe(session.clientID, filter: subscription.filter)
                unsubscribed(client, subscription.filter)
                dropped += 1
                logger.info(
                    "subscription no longer allowed, dropped",
                    metadata: ["client": "\(client.clientID)", "filter": "\(subscription.filter)"])
            }
        }
        if dropped > 0 { persistSession(session) }
        return dropped
    }
}

extension MQTTConnection {
    /// ``Broker/recheckSubscriptions()`` for this connection (on its event loop).
    func recheckSubscriptions() -> Int {
        guard state == .connected, let client, let session else { return 0 }
        return broker.dropUnauthorizedSubscriptions(of: session, for: client)
    }
}
