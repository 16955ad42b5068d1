import Foundation
import NIOConcurrencyHelpers

/// Login brute-force limits: per address, attempts per minute; per account, failures per
/// quarter hour. Past a limit, login answers 429 with `Retry-After` until the window ends.
final class LoginLimiter: Sendable {
    struct Limits: Sendable {
        var attemptsPerAddressPerMinute = 30
        var failuresPerAccount = 5
        var accountWindowSeconds: Double = 900
    }

    private struct Window {
        var start: Double
        var count: Int
    }

    private struct State {
        var addresses: [String: Window] = [:]
        var accounts: [String: Window] = [:]
    }

    let limits: Limits
    private let state = NIOLockedValueBox(State())

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Seconds to wait, when `address` or `account` is over its limit; counts the attempt.
    func check(address: String, account: String, now: Double = Date().timeIntervalSince1970) -> Int? {
        state.withLockedValue { s in
            if s.addresses.count > 100_000 { s.addresses = s.addresses.filter { now - $0.value.start < 60 } }
            if s.accounts.count > 100_000 {
                s.accounts = s.accounts.filter { now - $0.value.start < limits.accountWindowSeconds }
            }
            if let w = s.accounts[account], now - w.start < limits.accountWindowSeconds,
                w.count >= limits.failuresPerAccount
            {
                return max(1, Int((w.start + limits.accountWindowSeconds - now).rounded(.up)))
            }
            var w = s.addresses[address] ?? Window(start: now, count: 0)
            if now - w.start >= 60 { w = Window(start: now, count: 0) }
            if w.count >= limits.attemptsPerAddressPerMinute { return max(1, Int((w.start + 60 - now).rounded(.up))) }
            w.count += 1
            s.addresses[address] = w
            return nil
        }
    }

    /// Counts a failed login of `account`.
    func failed(account: String, now: Double = Date().timeIntervalSince1970) {
        state.withLockedValue { s in
            var w = s.accounts[account] ?? Window(start: now, count: 0)
            if now - w.start >= limits.accountWindowSeconds { w = Window(start: now, count: 0) }
            w.count += 1
            s.accounts[account] = w
        }
    }

    /// A successful login clears the account's failures.
    func succeeded(account: String) {
        state.withLockedValue { s in _ = s.accounts.removeValue(forKey: account) }
    }
}
