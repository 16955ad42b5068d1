import NIOCore

/// A transport over a NIO channel whose pipeline ends in ByteBuffers (TCP or TLS).
struct ChannelTransport: ConnectionTransport {
    let channel: any Channel

    var eventLoop: any EventLoop { channel.eventLoop }
    var isWritable: Bool { channel.isWritable }
    var remoteAddress: String? { channel.remoteAddress.map(Self.format) }

    func write(_ buffer: ByteBuffer) {
        channel.writeAndFlush(buffer, promise: nil)
    }

    /// Half-closes: what was written (a DISCONNECT or CONNACK with its reason) goes out, then a
    /// FIN. Reading goes on, its bytes ignored, until the peer closes or `lingerLimit` passes.
    /// Closing at once would make the kernel answer the peer's unread bytes with a reset, and a
    /// reset makes the peer drop the reason packet unread (a takeover seen as a lost connection).
    func close() {
        let channel = self.channel
        channel.setOption(ChannelOptions.autoRead, value: true).whenComplete { _ in }
        // Also bounds a peer that reads nothing: the half-close waits for pending writes.
        let linger = channel.eventLoop.scheduleTask(in: Self.lingerLimit) { channel.close(promise: nil) }
        channel.closeFuture.whenComplete { _ in linger.cancel() }
        channel.close(mode: .output).whenFailure { _ in channel.close(promise: nil) }
    }

    /// How long a half-closed connection waits for the peer to close its side.
    static let lingerLimit = TimeAmount.seconds(2)

    var closed: EventLoopFuture<Void> { channel.closeFuture }

    func setAutoRead(_ on: Bool) {
        channel.setOption(ChannelOptions.autoRead, value: on).whenComplete { _ in }
    }

    static func format(_ address: SocketAddress) -> String {
        if let ip = address.ipAddress, let port = address.port { return "\(ip):\(port)" }
        return "\(address)"
    }
}

/// Feeds a TCP/TLS channel's bytes into an ``MQTTConnection``.
final class MQTTChannelHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    private let broker: Broker
    private let listener: String
    private var connection: MQTTConnection?

    init(broker: Broker, listener: String) {
        self.broker = broker
        self.listener = listener
    }

    func channelActive(context: ChannelHandlerContext) {
        let connection = MQTTConnection(
            broker: broker, transport: ChannelTransport(channel: context.channel), listener: listener)
        self.connection = connection
        connection.start()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection?.receive(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        connection?.readComplete()
        context.fireChannelReadComplete()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        connection?.writabilityChanged(context.channel.isWritable)
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        connection?.transportClosed()
        connection = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // TLS handshake failures and resets: the connection is lost; channelInactive follows.
        context.close(promise: nil)
    }
}
