import HTTPTypes
import HummingbirdWebSocket
import Logging
import MQTTBroker
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// MQTT over WebSocket (`/mqtt`, subprotocol `mqtt`): binary frames carry the MQTT byte
/// stream, and a packet may span frames.
enum MQTTWebSocket {
    /// The subprotocol to answer with, or nil when the client offers none we speak.
    static func negotiate(_ request: HTTPRequest) -> String? {
        let offered = request.headerFields[values: .secWebSocketProtocol]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingCharacters(in: .whitespaces) }
        if offered.isEmpty { return "" }  // no subprotocol asked: accept, answer none
        return offered.first { $0 == "mqtt" || $0 == "mqttv3.1" }
    }

    /// Serves one upgraded WebSocket until either side closes it.
    static func serve(
        broker: Broker, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, eventLoop: any EventLoop,
        listener: String
    ) async {
        let (stream, continuation) = AsyncStream.makeStream(of: ByteBuffer.self)
        let transport = WebSocketTransport(eventLoop: eventLoop, continuation: continuation)
        let connection = try? await eventLoop.submit {
            StreamConnection(broker: broker, transport: transport, listener: listener)
        }.get()
        guard let connection else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask {
                // Ends when the broker closes the transport (stream finished) or on error.
                for await buffer in stream {
                    do {
                        try await outbound.write(.binary(buffer))
                    } catch {
                        break
                    }
                    transport.written(buffer.readableBytes)
                }
            }
            group.addTask {
                // Ends when the peer closes the WebSocket.
                do {
                    for try await frame in inbound {
                        connection.receive(frame.data)
                    }
                } catch {}
            }
            // Whichever side ends first ends the other: returning closes the WebSocket.
            await group.next()
            group.cancelAll()
            connection.closed()
            continuation.finish()
            transport.markClosed()
        }
    }
}

/// Broker-side transport writing into a WebSocket through an async stream.
final class WebSocketTransport: ConnectionTransport {
    let eventLoop: any EventLoop
    let continuation: AsyncStream<ByteBuffer>.Continuation
    private let queued = Atomic<Int>(0)

    private let closedPromise: EventLoopPromise<Void>
    private let closedOnce = NIOLockedValueBox(false)

    init(eventLoop: any EventLoop, continuation: AsyncStream<ByteBuffer>.Continuation) {
        self.eventLoop = eventLoop
        self.continuation = continuation
        self.closedPromise = eventLoop.makePromise(of: Void.self)
    }

    var isWritable: Bool { queued.load(ordering: .relaxed) < 1_048_576 }
    var remoteAddress: String? { nil }

    func write(_ buffer: ByteBuffer) {
        queued.add(buffer.readableBytes, ordering: .relaxed)
        continuation.yield(buffer)
    }

    func written(_ bytes: Int) {
        queued.subtract(bytes, ordering: .relaxed)
    }

    func close() {
        continuation.finish()
        markClosed()
    }

    /// Records that the WebSocket is gone (any thread, any number of times).
    func markClosed() {
        let first = closedOnce.withLockedValue { done -> Bool in
            defer { done = true }
            return !done
        }
        if first { closedPromise.succeed(()) }
    }

    var closed: EventLoopFuture<Void> { closedPromise.futureResult }

    func setAutoRead(_ on: Bool) {
        // The WebSocket reader is an async loop over frames; it is not paused. QoS 1/2
        // flows are still bounded by the broker's receive maximum.
    }
}
