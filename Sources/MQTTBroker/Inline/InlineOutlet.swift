import MQTTCore
import NIOConcurrencyHelpers
import NIOCore

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
