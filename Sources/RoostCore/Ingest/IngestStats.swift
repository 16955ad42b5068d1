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
    private let lastMinute = Mutex(MinuteWindow())
    private let origin = ContinuousClock.now

    init() {}

    private func secondsSinceStart() -> Int64 { (ContinuousClock.now - origin).components.seconds }

    func committed(messages m: Int, inserted i: Int, duplicates d: Int, deadLetters dl: Int) {
        let second = secondsSinceStart()
        lastMinute.withLock { $0.add(m, at: second) }
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
        /// Messages committed in the last 60 seconds (whole seconds, the current one included).
        public var lastMinute: Int
    }

    func snapshot(queueDepth: Int) -> Snapshot {
        Snapshot(
            messages: messages.load(ordering: .relaxed), telemetryInserted: inserted.load(ordering: .relaxed),
            duplicates: duplicates.load(ordering: .relaxed), deadLetters: deadLetters.load(ordering: .relaxed),
            failed: failures.load(ordering: .relaxed), batches: batches.load(ordering: .relaxed),
            queueDepth: queueDepth,
            dropped: droppedCount.load(ordering: .relaxed),
            lastMinute: lastMinute.withLock { $0.total(at: secondsSinceStart()) })
    }
}

/// Counts per second over the last minute, in 60 slots reused as time goes on.
struct MinuteWindow {
    private var seconds = [Int64](repeating: .min, count: 60)
    private var counts = [Int](repeating: 0, count: 60)

    mutating func add(_ n: Int, at second: Int64) {
        let slot = Int(second % 60)
        if seconds[slot] != second {
            seconds[slot] = second
            counts[slot] = 0
        }
        counts[slot] += n
    }

    /// The counts of the 60 seconds up to and including `second`.
    func total(at second: Int64) -> Int {
        var sum = 0
        for slot in 0..<60 where seconds[slot] > second - 60 && seconds[slot] <= second { sum += counts[slot] }
        return sum
    }
}

