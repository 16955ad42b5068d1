import NIOConcurrencyHelpers
public import NIOCore

/// Runs an MQTT connection over a transport that is not a NIO byte channel, such as a
/// WebSocket served by the HTTP server: feed it bytes, and it writes through the transport.
public final class StreamConnection: Sendable {
    private let bound: NIOLoopBound<MQTTConnection>

    /// Creates and starts the connection on `transport.eventLoop`. Call from that loop.
    public init(broker: Broker, transport: any ConnectionTransport, listener: String) {
        transport.eventLoop.preconditionInEventLoop()
        let connection = MQTTConnection(broker: broker, transport: transport, listener: listener)
        self.bound = NIOLoopBound(connection, eventLoop: transport.eventLoop)
        connection.start()
    }

    /// Delivers bytes received from the peer (any thread).
    public func receive(_ bytes: ByteBuffer) {
        let bound = self.bound
        bound.eventLoop.execute {
            bound.value.receive(bytes)
            bound.value.readComplete()
        }
    }

    /// The peer went away (any thread).
    public func closed() {
        let bound = self.bound
        bound.eventLoop.execute { bound.value.transportClosed() }
    }
}
