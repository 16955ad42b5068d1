import Synchronization

/// The port a listener bound, set once when it starts listening; readers wait for it.
final class BoundPort: Sendable {
    private enum State {
        case waiting([CheckedContinuation<Int?, Never>])
        case bound(Int?)
    }

    private let state = Mutex(State.waiting([]))

    /// Records the port and wakes every reader (later calls are ignored); nil when the
    /// listener will not bind (the server stopped first).
    func set(_ port: Int?) {
        let waiters = state.withLock { state -> [CheckedContinuation<Int?, Never>] in
            guard case .waiting(let waiters) = state else { return [] }
            state = .bound(port)
            return waiters
        }
        for waiter in waiters { waiter.resume(returning: port) }
    }

    /// The port, once bound; nil when the server stopped before binding it.
    var value: Int? {
        get async {
            await withCheckedContinuation { continuation in
                let known = state.withLock { state -> Int?? in
                    switch state {
                    case .bound(let port): return .some(port)
                    case .waiting(var waiters):
                        waiters.append(continuation)
                        state = .waiting(waiters)
                        return nil
                    }
                }
                if let known { continuation.resume(returning: known) }
            }
        }
    }
}
