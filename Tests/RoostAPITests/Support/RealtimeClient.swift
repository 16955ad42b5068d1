import Foundation
import HummingbirdWSClient
import Logging
import NIOConcurrencyHelpers

/// A realtime WebSocket client over a real socket (swift-websocket's client): gathers the
/// server's messages so tests can wait for them, sends JSON, and can stop reading to play a
/// slow viewer.
final class RealtimeClient: Sendable {
    private let received = NIOLockedValueBox<[String]>([])
    /// Messages per type, counted on arrival (the server writes `"type"` first).
    private let counts = NIOLockedValueBox<[Substring: Int]>([:])
    private let consumed = NIOLockedValueBox(0)
    private let paused = NIOLockedValueBox(false)
    private let outgoing: AsyncStream<String>.Continuation
    private let task: Task<WebSocketCloseFrame?, any Error>

    /// Connects to `path` (with `?token=` when `token` is given, or the bearer header when
    /// `header` is).
    init(port: Int, path: String = "/api/v1/realtime", token: String? = nil, header: String? = nil) {
        let (stream, continuation) = AsyncStream.makeStream(of: String.self)
        outgoing = continuation
        var configuration = WebSocketClientConfiguration(maxFrameSize: 1 << 24)
        if let header { configuration.additionalHeaders[.authorization] = "Bearer \(header)" }
        let url = "ws://127.0.0.1:\(port)\(path)" + (token.map { "?token=\($0)" } ?? "")
        let received = self.received
        let counts = self.counts
        let paused = self.paused
        task = Task {
            try await WebSocketClient.connect(url: url, configuration: configuration, logger: APITestServer.logger) {
                inbound, outbound, _ in
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        for await text in stream { try await outbound.write(.text(text)) }
                    }
                    for try await message in inbound.messages(maxSize: 1 << 24) {
                        while paused.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
                        guard case .text(let text) = message else { continue }
                        received.withLockedValue { $0.append(text) }
                        let type = text.dropFirst(9).prefix { $0 != "\"" }
                        counts.withLockedValue { $0[type, default: 0] += 1 }
                    }
                    group.cancelAll()
                }
            }
        }
    }

    deinit { task.cancel() }

    func send(_ object: [String: Any]) {
        let data = try! JSONSerialization.data(withJSONObject: object)
        outgoing.yield(String(decoding: data, as: UTF8.self))
    }

    /// Every message received so far, parsed.
    var all: [[String: Any]] {
        received.withLockedValue { $0 }.map {
            (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any] ?? [:]
        }
    }

    /// How many messages of `type` arrived, without parsing them (the server writes `type` first).
    func count(_ type: String) -> Int { counts.withLockedValue { $0[Substring(type)] ?? 0 } }

    /// The messages of `type` received so far.
    func all(_ type: String) -> [[String: Any]] { all.filter { $0["type"] as? String == type } }

    /// The next message of `type` after those already returned by `next`, within `seconds`.
    func next(_ type: String, within seconds: Double = 15) async throws -> [String: Any] {
        var found: [String: Any]?
        try await eventually("a \(type) message", within: seconds) {
            let messages = all
            let start = consumed.withLockedValue { $0 }
            for index in messages.indices.dropFirst(start) where messages[index]["type"] as? String == type {
                found = messages[index]
                consumed.withLockedValue { $0 = index + 1 }
                return true
            }
            return false
        }
        return found!
    }

    /// Stops (or resumes) reading the socket.
    func pause(_ on: Bool) { paused.withLockedValue { $0 = on } }

    /// The server's close frame, once the server has closed the socket.
    func closed(within seconds: Double = 30) async throws -> WebSocketCloseFrame? {
        try await withThrowingTaskGroup(of: WebSocketCloseFrame??.self) { group in
            group.addTask { try await self.task.value }
            group.addTask {
                try await Task.sleep(for: .milliseconds(Int64(seconds * 1000)))
                // Awaiting a task's value does not end with cancellation: end the socket's
                // task too, or the group would wait for it forever.
                self.task.cancel()
                return .none
            }
            defer { group.cancelAll() }
            guard let result = try await group.next(), let frame = result else {
                throw TimedOut(what: "the server to close the WebSocket")
            }
            return frame
        }
    }

    /// Closes from this side.
    func close() {
        outgoing.finish()
        task.cancel()
    }
}

/// Polls `condition` until it holds or `seconds` pass.
func eventually(_ what: String, within seconds: Double = 5, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + .milliseconds(Int(seconds * 1000))
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(5))
    }
    throw TimedOut(what: what)
}

/// An awaited event did not happen in time.
struct TimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Runs `body`, then `cleanup`, whether `body` threw or not (an async `defer`).
func afterwards<T>(_ cleanup: () async -> Void, _ body: () async throws -> T) async throws -> T {
    do {
        let result = try await body()
        await cleanup()
        return result
    } catch {
        await cleanup()
        throw error
    }
}
