import Logging

/// Applies storage operations in order, behind the broker, on one task. Consecutive saves of
/// the same session collapse into the last one.
final class PersistenceWriter: Sendable {
    enum Operation: Sendable {
        case saveSession(StoredSession)
        case deleteSession(String)
        case saveRetained(String, StoredMessage)
        case deleteRetained(String)
    }

    let store: any BrokerPersistence
    let logger: Logger
    private let stream: AsyncStream<Operation>
    private let continuation: AsyncStream<Operation>.Continuation

    init(store: any BrokerPersistence, logger: Logger) {
        self.store = store
        self.logger = logger
        (stream, continuation) = AsyncStream.makeStream(of: Operation.self)
    }

    /// Queues an operation; never blocks.
    func submit(_ op: Operation) {
        continuation.yield(op)
    }

    /// Ends the stream: ``run()`` returns once everything submitted so far is written.
    func finish() {
        continuation.finish()
    }

    /// Writes until ``finish()`` is called and the queue is empty.
    func run() async {
        var batch: [Operation] = []
        var iterator = stream.makeAsyncIterator()
        while let first = await iterator.next() {
            batch.append(first)
            await apply(batch)
            batch.removeAll(keepingCapacity: true)
        }
    }

    private func apply(_ ops: [Operation]) async {
        for op in ops {
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
}
