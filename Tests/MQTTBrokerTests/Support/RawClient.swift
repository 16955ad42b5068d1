import MQTTCore
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix

/// A bare TCP socket for sending hand-made bytes and reading raw answers: the way to test
/// malformed packets and timing behaviour no well-behaved client would produce.
final class RawClient: Sendable {
    private final class Collector: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bytes = NIOLockedValueBox<[UInt8]>([])
        let closed = NIOLockedValueBox(false)

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = unwrapInboundIn(data)
            bytes.withLockedValue { $0 += buffer.readableBytesView }
        }

        func channelInactive(context: ChannelHandlerContext) {
            closed.withLockedValue { $0 = true }
        }
    }

    let channel: any Channel
    private let collector: Collector

    private init(channel: any Channel, collector: Collector) {
        self.channel = channel
        self.collector = collector
    }

    static func connect(port: Int) async throws -> RawClient {
        let collector = Collector()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(collector) }
            }
            .connect(host: "127.0.0.1", port: port).get()
        return RawClient(channel: channel, collector: collector)
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(ByteBuffer(bytes: bytes))
    }

    func send(_ packet: Packet, version: ProtocolVersion) async throws {
        var buffer = ByteBuffer()
        packet.encode(version: version, into: &buffer)
        try await channel.writeAndFlush(buffer)
    }

    /// Bytes received so far.
    var received: [UInt8] { collector.bytes.withLockedValue { $0 } }

    /// Whether the server closed the connection.
    var isClosed: Bool { collector.closed.withLockedValue { $0 } }

    /// Packets received so far, decoded for `version`.
    func packets(_ version: ProtocolVersion) throws -> [Packet] {
        var buffer = ByteBuffer(bytes: received)
        var result: [Packet] = []
        while let frame = try PacketFramer.next(from: &buffer) {
            result.append(try Packet.decode(frame, version: version))
        }
        return result
    }

    /// Waits until `count` packets have arrived.
    func waitForPackets(_ count: Int, _ version: ProtocolVersion, within seconds: Double = 5) async throws -> [Packet] {
        try await eventually("\(count) packets", within: seconds) { (try? packets(version).count) ?? 0 >= count }
        return try packets(version)
    }

    /// Waits until the server closes the connection.
    func waitClosed(within seconds: Double = 5) async throws {
        try await eventually("server to close the connection", within: seconds) { isClosed }
    }

    /// Waits for the server to close, then returns the reason of its last DISCONNECT (5.0), or
    /// nil when it closed without one.
    func closedWithReason(within seconds: Double = 5) async throws -> ReasonCode? {
        try await waitClosed(within: seconds)
        guard case .disconnect(let d)? = try packets(.v5).last else { return nil }
        return d.reasonCode
    }

    func close() async {
        try? await channel.close()
    }
}

/// CONNECT for raw tests.
func rawConnect(_ id: String, _ version: ProtocolVersion, keepAlive: UInt16 = 60, will: Will? = nil, clean: Bool = true)
    -> Packet
{
    .connect(ConnectPacket(protocolVersion: version, clientID: id, cleanStart: clean, keepAlive: keepAlive, will: will))
}
