import MQTTCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket

/// Opens the client's channel: TCP, optional TLS, optional WebSocket upgrade, then the MQTT
/// packet handler. Returns once bytes can flow (the WebSocket upgrade included).
enum MQTTClientBootstrap {
    static func connect(client: MQTTClient) async throws -> any Channel {
        let config = client.configuration
        let upgraded = client.group.next().makePromise(of: Void.self)
        let bootstrap = ClientBootstrap(group: client.group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(.milliseconds(Int64(config.connectTimeout * 1000)))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let ops = channel.pipeline.syncOperations
                    if let tls = config.tls {
                        let context = try NIOSSLContext(configuration: tls)
                        try ops.addHandler(
                            NIOSSLClientHandler(context: context, serverHostname: config.tlsServerName ?? config.host))
                    }
                    guard let path = config.webSocketPath else {
                        try ops.addHandler(MQTTClientHandler(client: client))
                        upgraded.succeed(())
                        return
                    }
                    let requestHandler = WebSocketRequestHandler(
                        host: config.host, port: config.port, path: path, failure: upgraded)
                    // The upgrade closure runs on this channel's loop, where the handler lives.
                    let boundHandler = NIOLoopBound(requestHandler, eventLoop: channel.eventLoop)
                    let upgrader = NIOWebSocketClientUpgrader(maxFrameSize: 1 << 24, automaticErrorHandling: true) {
                        channel, _ in
                        // The HTTP request handler goes; frames flow to the MQTT handler from now on.
                        channel.eventLoop.makeCompletedFuture {
                            let ops = channel.pipeline.syncOperations
                            ops.removeHandler(context: try ops.context(handler: boundHandler.value), promise: nil)
                            try ops.addHandler(WebSocketBytesHandler())
                            try ops.addHandler(MQTTClientHandler(client: client))
                            upgraded.succeed(())
                        }
                    }
                    let upgrade: NIOHTTPClientUpgradeSendableConfiguration = (
                        upgraders: [upgrader], completionHandler: { _ in }
                    )
                    try ops.addHTTPClientHandlers(withClientUpgrade: upgrade)
                    try ops.addHandler(requestHandler)
                }
            }
        let channel = try await bootstrap.connect(host: config.host, port: config.port).get()
        // Connection loss is reported to the client by `establish`, once it holds the channel.
        channel.closeFuture.whenComplete { _ in upgraded.fail(MQTTClientError.notConnected) }
        try await upgraded.futureResult.get()
        return channel
    }
}

/// Sends the WebSocket upgrade request (subprotocol `mqtt`) once connected.
final class WebSocketRequestHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart
    let host: String
    let port: Int
    let path: String
    let failure: EventLoopPromise<Void>

    init(host: String, port: Int, path: String, failure: EventLoopPromise<Void>) {
        self.host = host
        self.port = port
        self.path = path
        self.failure = failure
    }

    func channelActive(context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: "\(host):\(port)")
        headers.add(name: "Sec-WebSocket-Protocol", value: "mqtt")
        headers.add(name: "Content-Length", value: "0")
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Any HTTP response that reaches here means the upgrade was refused.
        if case .head(let head) = unwrapInboundIn(data) {
            failure.fail(MQTTClientError.protocolError("WebSocket upgrade refused: \(head.status.code)"))
            context.close(promise: nil)
        }
    }
}

/// Turns WebSocket binary frames into bytes and bytes into masked binary frames.
final class WebSocketBytesHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = WebSocketFrame

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .binary, .continuation:
            context.fireChannelRead(wrapInboundOut(frame.unmaskedData))
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .connectionClose:
            context.close(promise: nil)
        default:
            break
        }
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let bytes = unwrapOutboundIn(data)
        let frame = WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: bytes)
        context.write(wrapOutboundOut(frame), promise: promise)
    }
}

/// Decodes packets from the broker and passes them to the client.
final class MQTTClientHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let client: MQTTClient
    var buffer: ByteBuffer?

    init(client: MQTTClient) {
        self.client = client
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var incoming = unwrapInboundIn(data)
        if buffer == nil { buffer = incoming } else { buffer!.writeBuffer(&incoming) }
        let version = client.state.withLockedValue { $0.version }
        do {
            while let frame = try PacketFramer.next(from: &buffer!) {
                client.handle(try Packet.decode(frame, version: version))
            }
        } catch {
            client.logger.error("bad packet from broker: \(error)")
            context.close(promise: nil)
        }
        if buffer!.readableBytes == 0 {
            buffer = nil
        } else if buffer!.readerIndex > 65_536 {
            buffer!.discardReadBytes()
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        client.logger.debug("connection error: \(error)")
        context.close(promise: nil)
    }
}
