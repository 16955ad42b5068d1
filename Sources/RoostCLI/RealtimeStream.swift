import Foundation
import HTTPTypes
import HummingbirdWSClient
import Logging
import NIOSSL
import NIOWebSocket

/// The realtime WebSocket as the CLI reads it: connects with the session's token in a bearer
/// header, sends the subscription, and hands every event (parsed JSON) to `onEvent` until
/// that returns false or the socket closes. Why it closed is returned.
struct RealtimeStream {
    let client: APIClient
    let subscribe: [String: Any]

    enum End {
        /// `onEvent` asked to stop.
        case done
        /// The server closed the socket (code, reason).
        case closed(Int?, String?)
        /// The connection failed or dropped.
        case failed(String)
    }

    /// The `ws(s)://…/api/v1/realtime` URL of the client's server.
    var url: String {
        let server = client.server
        if server.hasPrefix("https://") { return "wss://" + server.dropFirst(8) + "/api/v1/realtime" }
        if server.hasPrefix("http://") { return "ws://" + server.dropFirst(7) + "/api/v1/realtime" }
        return server + "/api/v1/realtime"
    }

    func run(onReady: @escaping @Sendable () async -> Void = {}, onEvent: @escaping @Sendable ([String: Any], String) async -> Bool)
        async -> End
    {
        var configuration = WebSocketClientConfiguration()
        if let token = client.token { configuration.additionalHeaders[.authorization] = "Bearer \(token)" }
        configuration.maxFrameSize = 16 << 20
        let subscription = String(decoding: (try? JSONSerialization.data(withJSONObject: subscribe)) ?? Data("{}".utf8), as: UTF8.self)
        var logger = Logger(label: "roost-cli")
        logger.logLevel = .critical
        let stopped = StopFlag()
        do {
            let tls: TLSConfiguration? = url.hasPrefix("wss://") ? .makeClientConfiguration() : nil
            let close = try await WebSocketClient.connect(
                url: url, configuration: configuration, tlsConfiguration: tls, logger: logger
            ) { inbound, outbound, _ in
                try await outbound.write(.text(subscription))
                for try await message in inbound.messages(maxSize: 16 << 20) {
                    guard case .text(let text) = message,
                        let event = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any]
                    else { continue }
                    if event["type"] as? String == "snapshot" { await onReady() }
                    if event["type"] as? String == "error" {
                        Terminal.error("roost: the server refused the subscription: \(event["message"] ?? "?")")
                    }
                    if !(await onEvent(event, text)) {
                        stopped.set()
                        try await outbound.close(.normalClosure, reason: "done")
                        return
                    }
                }
            }
            if stopped.isSet { return .done }
            return .closed(close.flatMap { Self.code($0.closeCode) }, close?.reason)
        } catch {
            return stopped.isSet ? .done : .failed(String(describing: error))
        }
    }

    static func code(_ code: WebSocketErrorCode) -> Int? {
        switch code {
        case .normalClosure: return 1000
        case .goingAway: return 1001
        case .unknown(let value): return Int(value)
        default: return nil
        }
    }
}

/// A flag set once from a handler and read after it.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
