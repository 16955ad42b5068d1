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
        let clientID = "$inline/" + MQTTConnection.randomID()
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

/// Messages delivered to an in-process subscription.
public final class InlineSubscription: AsyncSequence, Sendable {
    public typealias Element = Message
    private let stream: AsyncStream<Message>
    private let onCancel: NIOLockedValueBox<(@Sendable () -> Void)?>

    init(stream: AsyncStream<Message>, onCancel: @escaping @Sendable () -> Void) {
        self.stream = stream
        self.onCancel = NIOLockedValueBox(onCancel)
    }

    /// Ends the subscription and removes it from the broker.
    public func cancel() {
        let action = onCancel.withLockedValue { a -> (@Sendable () -> Void)? in
            defer { a = nil }
            return a
        }
        action?()
    }

    public func makeAsyncIterator() -> AsyncStream<Message>.AsyncIterator {
        stream.makeAsyncIterator()
    }
}

/// The outlet of an inline session: yields to a stream and completes QoS flows at once.
final class InlineOutlet: SessionOutlet {
    let protocolVersion = ProtocolVersion.v5
    let clientMaximumPacketSize: Int? = nil
    let isWritable = true
    private let continuation: AsyncStream<Message>.Continuation

    init(continuation: AsyncStream<Message>.Continuation) {
        self.continuation = continuation
    }

    func send(_ packet: OutboundPacket) {
        if case .delivery(let message, _, _, _, _, _) = packet {
            continuation.yield(message)
        }
    }
}
