import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A WebSocket client for the realtime benchmark that costs the machine little: NIO's frame
/// codec and one handler that hands each text frame's bytes to `onText` on the event loop, no
/// async sequence or String per frame. With 100 sockets each receiving 1,000 events a second,
/// swift-websocket's client took more CPU than the server it measured (on the same two cores).
enum LeanWebSocket {
    /// Connects to `path` on `host:port`, sends `first` as a text frame once upgraded, and calls
    /// `onText` with every text frame's payload. Returns the channel (close it to stop).
    static func connect(
        group: any EventLoopGroup, host: String, port: Int, path: String, first: String,
        onText: @escaping @Sendable (ByteBuffer) -> Void
    ) async throws -> any Channel {
        let upgraded = group.next().makePromise(of: Void.self)
        let bootstrap = ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let request = UpgradeRequest(host: host, port: port, path: path, failure: upgraded)
                    let bound = NIOLoopBound(request, eventLoop: channel.eventLoop)
                    let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: 1 << 24, automaticErrorHandling: true) {
                        channel, _ in
                        channel.eventLoop.makeCompletedFuture {
                            let ops = channel.pipeline.syncOperations
                            ops.removeHandler(context: try ops.context(handler: bound.value), promise: nil)
                            try ops.addHandler(TextFrames(onText: onText))
                            let frame = WebSocketFrame(
                                fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: first))
                            channel.writeAndFlush(frame, promise: nil)
                            upgraded.succeed(())
                        }
                    }
                    let ops = channel.pipeline.syncOperations
                    try ops.addHTTPClientHandlers(withClientUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
                    try ops.addHandler(request)
                }
            }
        let channel = try await bootstrap.connect(host: host, port: port).get()
        channel.closeFuture.whenComplete { _ in upgraded.fail(ChannelError.ioOnClosedChannel) }
        try await upgraded.futureResult.get()
        return channel
    }

    /// Sends the upgrade request once connected; a plain HTTP answer means it was refused.
    private final class UpgradeRequest: ChannelInboundHandler, RemovableChannelHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundOut = HTTPClientRequestPart
        let host: String
        let port: Int
        let path: String
        let failure: EventLoopPromise<Void>

        init(host: String, port: Int, path: String, failure: EventLoopPromise<Void>) {
            (self.host, self.port, self.path, self.failure) = (host, port, path, failure)
        }

        func channelActive(context: ChannelHandlerContext) {
            var headers = HTTPHeaders()
            headers.add(name: "Host", value: "\(host):\(port)")
            headers.add(name: "Content-Length", value: "0")
            context.write(wrapOutboundOut(.head(.init(version: .http1_1, method: .GET, uri: path, headers: headers))), promise: nil)
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
            context.fireChannelActive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            if case .head(let head) = unwrapInboundIn(data) {
                failure.fail(BenchError("WebSocket upgrade refused: \(head.status.code)"))
                context.close(promise: nil)
            }
        }
    }

    /// Text frames to `onText`; pings answered; a close ends the connection.
    private final class TextFrames: ChannelInboundHandler {
        typealias InboundIn = WebSocketFrame
        typealias OutboundOut = WebSocketFrame
        let onText: @Sendable (ByteBuffer) -> Void

        init(onText: @escaping @Sendable (ByteBuffer) -> Void) { self.onText = onText }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let frame = unwrapInboundIn(data)
            switch frame.opcode {
            case .text: onText(frame.unmaskedData)
            case .ping:
                let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
                context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
            case .connectionClose: context.close(promise: nil)
            default: break
            }
        }
    }
}
