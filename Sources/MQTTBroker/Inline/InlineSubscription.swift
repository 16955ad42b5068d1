import MQTTCore
import NIOConcurrencyHelpers
import NIOCore

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
