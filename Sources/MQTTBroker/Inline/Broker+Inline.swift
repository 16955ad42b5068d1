import MQTTCore
import NIOConcurrencyHelpers
import NIOCore

/// In-process publish and subscribe, with no socket: how the HTTP API, the WebSocket hub and
/// the ingest pipeline reach the broker. An inline subscriber is always connected and is handed
/// each message directly, so there is no acknowledgement flow: the `Message` keeps the QoS it
/// was published with.
extension Broker {
    /// Subscribes inside the server. The returned sequence yields matching messages until it is
    /// cancelled or ``InlineSubscription/cancel()`` is called.
    public func subscribe(_ filters: [String]) -> InlineSubscription {
        let clientID = Self.inlinePrefix + MQTTConnection.randomID()
        let session = makeSession(clientID)
        let (stream, continuation) = AsyncStream.makeStream(
            of: Message.self, bufferingPolicy: .bufferingNewest(100_000))
        let outlet = InlineOutlet(continuation: continuation)
        session.attach(outlet, window: Int(UInt16.max), expiryInterval: 0)
        registry.withLockedValue { $0.sessions[clientID] = session }
        for filter in filters where Topic.isValidFilter(filter) {
            let sub = Subscription(filter: filter, qos: .atMostOnce)
            _ = session.addSubscription(sub, identifier: nil)
            tree.subscribe(session, sub, identifier: nil)
        }
        let subscription = InlineSubscription(stream: stream) { [self] in
            session.detach(outlet)
            removeSession(session)
        }
        continuation.onTermination = { _ in subscription.cancel() }
        return subscription
    }
}
