import Synchronization

/// Ingest counters, lock-free.
public final class IngestStats: Sendable {
    private let messages = Atomic<Int>(0)
    private let inserted = Atomic<Int>(0)
    private let duplicates = Atomic<Int>(0)
    private let deadLetters = Atomic<Int>(0)
    private let failures = Atomic<Int>(0)
    private let batches = Atomic<Int>(0)
    private let droppedCount = Atomic<Int>(0)

    init() {}

    func committed(messages m: Int, inserted i: Int, duplicates d: Int, deadLetters dl: Int) {
        messages.add(m, ordering: .relaxed)
        inserted.add(i, ordering: .relaxed)
        duplicates.add(d, ordering: .relaxed)
        deadLetters.add(dl, ordering: .relaxed)
        batches.add(1, ordering: .relaxed)
    }

    func failed(_ n: Int) { failures.add(n, ordering: .relaxed) }
    func dropped(_ n: Int) { droppedCount.add(n, ordering: .relaxed) }

    /// A copy of the counters.
    public struct Snapshot: Sendable, Hashable {
        public var messages: Int
        public var telemetryInserted: Int
        public var duplicates: Int
        public var deadLetters: Int
        public var failed: Int
        public var batches: Int
        public var queueDepth: Int
        /// QoS 0 messages dropped because the queue was full.
        public var dropped: Int
    }

    func snapshot(queueDepth: Int) -> Snapshot {
        Snapshot(
            messages: messages.load(ordering: .relaxed), telemetryInserted: inserted.load(ordering: .relaxed),
            duplicates: duplicates.load(ordering: .relaxed), deadLetters: deadLetters.load(ordering: .relaxed),
            failed: failures.load(ordering: .relaxed), batches: batches.load(ordering: .relaxed),
            queueDepth: queueDepth,
            dropped: droppedCount.load(ordering: .relaxed))
    }
}
