public import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOWebSocket
import Synchronization

/// One message of the realtime WebSocket: `telemetry`, `status`, `command`, `alert`,
/// `shadow`, `snapshot`, `lagged`, … as the server sent it, and `reconnected`, which the
/// client adds each time it has connected and subscribed again after losing the socket.
public struct LiveEvent: Sendable, Hashable {
    /// The message's `type`.
    public var type: String
    /// The device's id, uid and tenant, for events about one device.
    public var device: Int?
    public var uid: String?
    public var tenant: String?
    /// The message, JSON as the server sent it.
    public var json: Data

    /// The message decoded as `T` (keys in snake case, times RFC 3339).
    public func decode<T: Decodable>(_ type: T.Type = T.self) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        decoder.dateDecodingStrategy = .custom { d in try RFC3339Transcoder().decode(try d.singleValueContainer().decode(String.self)) }
        return try decoder.decode(T.self, from: json)
    }

    init?(text: String) {
        let data = Data(text.utf8)
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any], let type = object["type"] as? String
        else { return nil }
        self.type = type
        device = object["device"] as? Int
        uid = object["uid"] as? String
        tenant = object["tenant"] as? String
        json = data
    }

    init(type: String) {
        self.type = type
        json = Data(#"{"type":"\#(type)"}"#.utf8)
    }
}

extension RoostClient {
    /// Live events of `devices` (ids or uids; every device the account sees when empty),
    /// of `kinds` (all when empty). The stream connects, subscribes, and when the socket is
    /// lost connects again with backoff (0.5 s doubling to 30 s) and subscribes again,
    /// refreshing the session when the server says it expired (4401). It ends by throwing
    /// ``RoostAPIError`` when the session cannot be refreshed, or when the consumer stops.
    public func live(devices: [String] = [], kinds: [String] = []) -> AsyncThrowingStream<LiveEvent, any Error> {
        var subscription: [String: Any] = ["type": "subscribe"]
        if devices.isEmpty { subscription["tenant"] = true } else { subscription["devices"] = devices }
        if !kinds.isEmpty { subscription["kinds"] = kinds }
        let text = String(decoding: (try? JSONSerialization.data(withJSONObject: subscription)) ?? Data(), as: UTF8.self)
        let url = Self.webSocketURL(server)
        let session = self.session
        return AsyncThrowingStream { continuation in
            let task = Task {
                var failures = 0
                // Connections that reached their snapshot (the subscription took).
                let subscribed = Mutex(0)
                while !Task.isCancelled {
                    let before = subscribed.withLock { $0 }
                    let token = session.accessToken
                    let end = await Self.follow(url: url, token: token, subscription: text) { event in
                        if event.type == "snapshot" {
                            let count = subscribed.withLock { n -> Int in
                                n += 1
                                return n
                            }
                            if count > 1 { continuation.yield(LiveEvent(type: "reconnected")) }
                        }
                        continuation.yield(event)
                    }
                    if subscribed.withLock({ $0 }) > before { failures = 0 }
                    if Task.isCancelled { break }
                    if end == 4401 || end == 4403 {
                        // Expired or revoked: one refresh, else the session is over.
                        guard end == 4401, (try? await session.refresh(refused: token)) == true else {
                            continuation.finish(
                                throwing: RoostAPIError(
                                    status: end == 4401 ? 401 : 403, code: end == 4401 ? "unauthorized" : "forbidden",
                                    message: "the realtime socket was refused (\(end ?? 0))"))
                            return
                        }
                        continue
                    }
                    failures += 1
                    let delay = min(30, 0.5 * Double(1 << min(failures - 1, 6)))
                    try? await Task.sleep(for: .milliseconds(Int(delay * 1000)))
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }

    /// `ws(s)://host/api/v1/realtime` of an `http(s)://host` server.
    static func webSocketURL(_ server: URL) -> String {
        var text = server.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        if text.hasPrefix("https://") { return "wss://" + text.dropFirst(8) + "/api/v1/realtime" }
        if text.hasPrefix("http://") { return "ws://" + text.dropFirst(7) + "/api/v1/realtime" }
        return text + "/api/v1/realtime"
    }

    /// One connection: subscribes, hands over every event until the socket closes; returns the
    /// close code (nil when the connection failed or closed without one).
    static func follow(url: String, token: String?, subscription: String, onEvent: @escaping @Sendable (LiveEvent) -> Void)
        async -> Int?
    {
        var configuration = WebSocketClientConfiguration()
        if let token { configuration.additionalHeaders[.authorization] = "Bearer \(token)" }
        configuration.maxFrameSize = 16 << 20
        var logger = Logger(label: "roost-client")
        logger.logLevel = .critical
        do {
            let close = try await WebSocketClient.connect(
                url: url, configuration: configuration, tlsConfiguration: url.hasPrefix("wss://") ? .makeClientConfiguration() : nil,
                logger: logger
            ) { inbound, outbound, _ in
                try await outbound.write(.text(subscription))
                for try await message in inbound.messages(maxSize: 16 << 20) {
                    guard case .text(let text) = message, let event = LiveEvent(text: text) else { continue }
                    onEvent(event)
                }
            }
            guard let code = close?.closeCode else { return nil }
            switch code {
            case .unknown(let value): return Int(value)
            case .normalClosure: return 1000
            case .goingAway: return 1001
            default: return nil
            }
        } catch {
            return nil
        }
    }
}
