import Foundation
import Synchronization

/// The token pair of a logged-in client, refreshed when the access token is refused; one
/// refresh at a time however many requests were refused together.
final class Session: Sendable {
    private struct Tokens {
        var access: String?
        var refresh: String?
        /// A refresh in flight, that later callers wait for.
        var refreshing: Task<Bool, Never>?
    }

    private let tokens = Mutex(Tokens())
    /// Posts a refresh token and returns the new pair (nil when refused).
    let exchange: @Sendable (String) async -> (access: String, refresh: String)?

    init(exchange: @escaping @Sendable (String) async -> (access: String, refresh: String)?) {
        self.exchange = exchange
    }

    var accessToken: String? { tokens.withLock { $0.access } }
    var refreshToken: String? { tokens.withLock { $0.refresh } }
    var isLoggedIn: Bool { accessToken != nil }

    func set(access: String?, refresh: String?) {
        tokens.withLock {
            $0.access = access
            $0.refresh = refresh
        }
    }

    /// Exchanges the refresh token for a new pair; false when there is none or it is refused
    /// (the session is then over). `refused` is the access token the server turned down: when
    /// another request has already replaced it, the new one is used without a second refresh.
    func refresh(refused: String?) async throws -> Bool {
        enum Step { case done, wait(Task<Bool, Never>), over }
        let step = tokens.withLock { t -> Step in
            if let running = t.refreshing { return .wait(running) }
            if let refused, let access = t.access, access != refused { return .done }
            guard let refresh = t.refresh else { return .over }
            let exchange = self.exchange
            let task = Task { [weak self] () -> Bool in
                let pair = await exchange(refresh)
                self?.tokens.withLock { t in
                    t.refreshing = nil
                    if let pair {
                        t.access = pair.access
                        t.refresh = pair.refresh
                    } else {
                        t.access = nil
                        t.refresh = nil
                    }
                }
                return pair != nil
            }
            t.refreshing = task
            return .wait(task)
        }
        switch step {
        case .done: return true
        case .over: return false
        case .wait(let task): return await task.value
        }
    }
}
