public import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
public import Logging
public import MQTTBroker
import NIOCore
public import NIOSSL
import RoostJSON

/// The HTTP side of Roost: health and readiness, metrics, the OpenAPI document and docs page,
/// HTTP ingest, the REST API, and MQTT over WebSocket at `/mqtt` on the same port.
public enum HTTPServer {
    /// Settings of the HTTP listener.
    public struct Configuration: Sendable {
        /// Address to bind.
        public var host: String = "127.0.0.1"
        /// Port; 0 picks a free one (logged as `http listening on HOST:PORT`).
        public var port: Int = 8080
        /// Largest WebSocket frame accepted, in bytes (at least the broker's maximum packet size).
        public var maxFrameSize: Int = 1 << 20
        /// TLS settings: HTTPS, and MQTT over WSS at `/mqtt`. Nil for plain HTTP.
        public var tls: TLSConfiguration?

        public init(host: String = "127.0.0.1", port: Int = 8080, tls: TLSConfiguration? = nil) {
            self.host = host
            self.port = port
            self.tls = tls
        }
    }

    /// Builds the application; `onBound` receives the bound port once listening.
    public static func makeApplication(
        broker: Broker, configuration: Configuration, logger: Logger, ingest: HTTPIngest? = nil, api: RoostAPI? = nil,
        routes: RouteRecorder = RouteRecorder(),
        onBound: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let router = Router(context: RoostRequestContext.self)
        router.add(middleware: ErrorShapeMiddleware())
        router.add(middleware: MetricsMiddleware())
        // Each request at debug level; every line an API route logs carries hb.request.id.
        router.add(middleware: LogRequestsMiddleware(.debug))
        ingest?.register(on: router)
        api?.register(on: router, recorder: routes)
        if api != nil { DashboardRoutes.register(on: router) }
        router.get("/health") { _, _ in
            ["status": "ok"]
        }
        router.get("/ready") { _, _ -> Response in
            let storeUp = await api?.storeReady() ?? true
            guard storeUp else { throw APIError(.serviceUnavailable, "not_ready", "the store does not answer") }
            guard api?.brokerReady() ?? true else {
                throw APIError(.serviceUnavailable, "not_ready", "the broker is not ready: the MQTT listener is not accepting connections, or the external broker (--broker) is not connected")
            }
            return Response.json(.object([JSONMember("status", .string("ready"))]))
        }
        router.get("/metrics") { _, _ in RoostMetrics.render(api: api, broker: broker) }
        router.get("/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.json)))
        }
        router.get("/docs") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: DocsPage.html)))
        }
        let listener = configuration.tls == nil ? "ws" : "wss"
        let plain = HTTPServerBuilder.http1WebSocketUpgrade(
            configuration: .init(
                http1: .init(),
                ws: .init(maxFrameSize: max(configuration.maxFrameSize, broker.configuration.maxPacketSize + 16)))
        ) { request, channel, _ in
            if let api, let session = RealtimeEndpoint.session(for: request, api: api, logger: logger) {
                return .upgrade([:]) { inbound, outbound, _ in
                    await session.serve(inbound: inbound, outbound: outbound, channel: channel)
                }
            }
            guard request.path?.split(separator: "?").first == "/mqtt" else { return .dontUpgrade }
            guard let subprotocol = MQTTWebSocket.negotiate(request) else { return .dontUpgrade }
            var headers = HTTPFields()
            if !subprotocol.isEmpty { headers[.secWebSocketProtocol] = subprotocol }
            let loop = channel.eventLoop
            return .upgrade(headers) { inbound, outbound, _ in
                await MQTTWebSocket.serve(
                    broker: broker, inbound: inbound, outbound: outbound, eventLoop: loop, listener: listener)
            }
        }
        let server = try configuration.tls.map { try HTTPServerBuilder.tls(plain, tlsConfiguration: $0) } ?? plain
        let scheme = configuration.tls == nil ? "http" : "https"
        let app = Application(
            router: router,
            server: server,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "roost"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                logger.notice("\(scheme) listening on \(configuration.host):\(port)")
                await onBound(port)
            },
            logger: logger
        )
        return app
    }
}
