import Logging
import NIOConcurrencyHelpers

/// Applies storage operations in order, behind the broker, on one task. Operations that pile
/// up while a write is in progress are taken together, and a session saved several times in
/// one batch is written once, in its latest state.
final class PersistenceWriter: Sendable {
    enum Operation: Sendable {
        case saveSession(StoredSession)
        case deleteSession(String)
        case saveRetained(String, StoredMessage)
        case deleteRetained(String)
    }

    private struct Queue {
        var operations: [Operation] = []
        var finished = false
    }

    let store: any BrokerPersistence
    let logger: Logger
    private let queue = NIOLockedValueBox(Queue())
    private let signals: AsyncStream<Void>
    private let signal: AsyncStream<Void>.Continuation

    init(store: any BrokerPersistence, logger: Logger) {
        self.store = store
        self.logger = logger
        (signals, signal) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Queues an operation; never blocks.
    func submit(_ op: Operation) {
        let accepted = queue.withLockedValue { q -> Bool in
            guard !q.finished else { return false }
            q.operations.append(op)
            return true
        }
        if accepted { signal.yield() }
    }

    /// Ends the writer: ``run()`` returns once everything submitted so far is written.
    func finish() {
        queue.withLockedValue { $0.finished = true }
        signal.finish()
    }

    /// Writes until ``finish()`` is called and the queue is empty.
    func run() async {
        for await _ in signals {
            await drain()
        }
        await drain()
    }

    private func drain() async {
        while true {
            let batch = queue.withLockedValue { q -> [Operation] in
                defer { q.operations = [] }
                return q.operations
            }
            if batch.isEmpty { return }
            for op in Self.coalesce(batch) { await apply(op) }
        }
    }

    /// Drops session saves made obsolete by a later save or delete of the same session.
    static func coalesce(_ ops: [Operation]) -> [Operation] {
        var last: [String: Int] = [:]
        for (index, op) in ops.enumerated() {
            switch op {
            case .saveSession(let s): last[s.clientID] = index
            case .deleteSession(let id): last[id] = index
            default: break
            }
        }
        return ops.enumerated().compactMap { index, op in
            if case .saveSession(let s) = op, last[s.clientID] != index { return nil }
            return op
        }
    }

    private func apply(_ op: Operation) async {
        do {
            switch op {
            case .saveSession(let s): try await store.saveSession(s)
            case .deleteSession(let id): try await store.deleteSession(clientID: id)
            case .saveRetained(let topic, let m): try await store.saveRetained(topic: topic, message: m)
            case .deleteRetained(let topic): try await store.deleteRetained(topic: topic)
            }
        } catch {
            logger.error("broker persistence failed: \(error)")
        }
    }
}
