import Hummingbird
import NIOConcurrencyHelpers
import NIOCore

/// A local HTTP server that records the webhooks it is sent, answering 500 to the first
/// `failing` of them (to exercise retries).
final class WebhookReceiver: Sendable {
    struct Hit: Sendable {
        var headers: [String: String]
        var body: [UInt8]
        var text: String { String(decoding: body, as: UTF8.self) }
    }

    private let hits = NIOLockedValueBox<[Hit]>([])
    private let refused = NIOLockedValueBox<Int>(0)
    private let failing: Int
    private let task: NIOLockedValueBox<Task<Void, any Error>?> = .init(nil)
    let port: Int

    var received: [Hit] { hits.withLockedValue { $0 } }
    var refusedCount: Int { refused.withLockedValue { $0 } }
    var url: String { "http://127.0.0.1:\(port)/hooks/alerts" }

    private init(failing: Int, port: Int) {
        self.failing = failing
        self.port = port
    }

    static func start(failing: Int = 0) async throws -> WebhookReceiver {
        let bound = AsyncStream<Int>.makeStream()
        let box = NIOLockedValueBox<WebhookReceiver?>(nil)
        let router = Router()
        router.post("/hooks/alerts") { request, _ -> HTTPResponse.Status in
            let body = try await request.body.collect(upTo: 1 << 20)
            var headers: [String: String] = [:]
            for field in request.headers { headers[field.name.canonicalName] = field.value }
            guard let receiver = box.withLockedValue({ $0 }) else { return .serviceUnavailable }
            return receiver.record(Hit(headers: headers, body: Array(body.readableBytesView)))
        }
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                bound.continuation.yield(channel.localAddress?.port ?? 0)
                bound.continuation.finish()
            })
        let task = Task { try await app.runService(gracefulShutdownSignals: []) }
        var port = 0
        for await p in bound.stream { port = p }
        let receiver = WebhookReceiver(failing: failing, port: port)
        box.withLockedValue { $0 = receiver }
        receiver.task.withLockedValue { $0 = task }
        return receiver
    }

    private func record(_ hit: Hit) -> HTTPResponse.Status {
        let fail = refused.withLockedValue { n -> Bool in
            guard n < failing else { return false }
            n += 1
            return true
        }
        if fail { return .internalServerError }
        hits.withLockedValue { $0.append(hit) }
        return .noContent
    }

    func stop() { task.withLockedValue { $0?.cancel() } }
}
