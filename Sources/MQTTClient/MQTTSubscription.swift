public import MQTTCore

/// Messages matching one subscription's filter, as an AsyncSequence.
public struct MQTTSubscription: AsyncSequence, Sendable {
    public typealias Element = PublishPacket
    /// The filter subscribed to.
    public let filter: String
    let base: AsyncStream<PublishPacket>

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: AsyncStream<PublishPacket>.AsyncIterator
        let filter: String

        public mutating func next() async -> PublishPacket? {
            while let message = await base.next() {
                if MQTTSubscription.matches(filter, message.topic) { return message }
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: base.makeAsyncIterator(), filter: filter)
    }

    static func matches(_ filter: String, _ topic: String) -> Bool {
        if let shared = SharedFilter(filter) { return Topic.matches(filter: shared.filter, name: topic) }
        return Topic.matches(filter: filter, name: topic)
    }
}
