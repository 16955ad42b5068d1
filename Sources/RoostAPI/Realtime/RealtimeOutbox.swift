import DequeModule
import NIOConcurrencyHelpers
import RoostCore

/// A socket's bounded queue of messages. The bus appends on the publisher's thread and never
/// waits; when the socket's reader falls `capacity` events behind, the oldest events are
/// dropped and counted, and the writer tells the client (`lagged`). Control messages
/// (snapshots, answers) are never dropped. Each append calls the writer's wake (see
/// ``setWake(_:)``), outside the lock.
final class RealtimeOutbox: RealtimeSubscriber {
    private struct State {
        var queue = Deque<(text: String, droppable: Bool)>()
        var droppable = 0
        var dropped = 0
        var closed = false
        /// Since when the oldest message not taken yet has waited (nil: none waits).
        var waitingSince: ContinuousClock.Instant?
        /// Told that something was queued; dropped on close (it holds the writer).
        var wake: (@Sendable () -> Void)?
    }

    let capacity: Int
    private let state = NIOLockedValueBox(State())

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// Who is told, on the appending thread, each time a message is queued.
    func setWake(_ wake: @escaping @Sendable () -> Void) {
        state.withLockedValue { $0.wake = wake }
    }

    func receive(_ event: RealtimeEvent) {
        let wake = state.withLockedValue { s -> (@Sendable () -> Void)? in
            guard !s.closed else { return nil }
            if s.droppable >= capacity, let oldest = s.queue.firstIndex(where: \.droppable) {
                s.queue.remove(at: oldest)
                s.droppable -= 1
                s.dropped += 1
            }
            s.queue.append((event.json, true))
            s.droppable += 1
            if s.waitingSince == nil { s.waitingSince = .now }
            return s.wake
        }
        wake?()
    }

    /// Queues a control message (never dropped).
    func send(_ text: String) {
        let wake = state.withLockedValue { s -> (@Sendable () -> Void)? in
            guard !s.closed else { return nil }
            s.queue.append((text, false))
            if s.waitingSince == nil { s.waitingSince = .now }
            return s.wake
        }
        wake?()
    }

    /// Everything queued, and how many events were dropped since the last take.
    func take() -> (messages: [String], dropped: Int) {
        state.withLockedValue { s in
            let messages = s.queue.map(\.text)
            let dropped = s.dropped
            s.queue.removeAll()
            s.droppable = 0
            s.dropped = 0
            s.waitingSince = nil
            return (messages, dropped)
        }
    }

    /// Whether messages have waited, untaken, for longer than `limit` (the writer is stuck).
    func waiting(longerThan limit: Duration) -> Bool {
        state.withLockedValue { s in s.waitingSince.map { ContinuousClock.now - $0 > limit } ?? false }
    }

    /// Stops taking messages and lets go of the wake.
    func close() {
        state.withLockedValue { s in
            s.closed = true
            s.wake = nil
        }
    }
}
