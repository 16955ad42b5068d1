import NIOConcurrencyHelpers
public import NIOCore

/// Brute-force limits for logins that fail (MQTT CONNECTs refused for their credentials, API
/// keys refused on HTTP ingest): each failure of a user name is answered later than the last
/// (0.25 s doubling, at most `maxDelay`), and an address past `failuresPerAddress` failures in
/// a minute is refused without being checked for the rest of that minute. Successful logins
/// are never delayed, so a device whose name is being guessed still gets in with its secret.
public final class LoginThrottle: Sendable {
    /// The limits (settings `mqtt.login_failures_per_minute`, `mqtt.login_failure_delay_max`).
    public struct Limits: Sendable {
        /// Failures from one address in a minute before it is refused unchecked; 0: no limit.
        public var failuresPerAddress = 20
        /// Longest delay before a failure is answered, in seconds.
        public var maxDelay: Double = 5
        /// Delay of a user name's first failure; it doubles with each further one.
        public var firstDelay: Double = 0.25
        /// How long a user name's failures are remembered, in seconds.
        public var nameWindow: Double = 900

        public init() {}
    }

    private struct Window {
        var start: Double
        var count: Int
    }

    private struct State {
        var addresses: [String: Window] = [:]
        var names: [String: Window] = [:]
    }

    /// The limits in force.
    public let limits: Limits
    private let state = NIOLockedValueBox(State())

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Seconds left of `address`'s block, or nil when it may try.
    public func blocked(address: String?, now: Double = LoginThrottle.now()) -> Double? {
        guard let address, limits.failuresPerAddress > 0 else { return nil }
        return state.withLockedValue { s in
            guard let w = s.addresses[address], now - w.start < 60, w.count >= limits.failuresPerAddress else {
                return nil
            }
            return w.start + 60 - now
        }
    }

    /// Records a failed login; returns how long to wait before answering it, and whether this
    /// failure put the address over its limit (log that once, not every refusal).
    public func failed(address: String?, name: String?, now: Double = LoginThrottle.now())
        -> (delay: Double, startsBlock: Bool)
    {
        state.withLockedValue { s in
            if s.addresses.count > 100_000 { s.addresses = s.addresses.filter { now - $0.value.start < 60 } }
            if s.names.count > 100_000 { s.names = s.names.filter { now - $0.value.start < limits.nameWindow } }
            var startsBlock = false
            if let address {
                var w = s.addresses[address] ?? Window(start: now, count: 0)
                if now - w.start >= 60 { w = Window(start: now, count: 0) }
                w.count += 1
                startsBlock = limits.failuresPerAddress > 0 && w.count == limits.failuresPerAddress
                s.addresses[address] = w
            }
            var failures = 1
            if let name {
                var w = s.names[name] ?? Window(start: now, count: 0)
                if now - w.start >= limits.nameWindow { w = Window(start: now, count: 0) }
                w.count += 1
                failures = w.count
                s.names[name] = w
            }
            let delay = min(limits.maxDelay, limits.firstDelay * Double(1 << min(failures - 1, 30)))
            return (delay, startsBlock)
        }
    }

    /// A successful login of `name` forgets its failures.
    public func succeeded(name: String?) {
        guard let name else { return }
        state.withLockedValue { s in _ = s.names.removeValue(forKey: name) }
    }

    /// Seconds on a monotonic clock (windows and blocks are measured on it).
    public static func now() -> Double { Double(NIODeadline.now().uptimeNanoseconds) / 1e9 }

    /// The address part of `ip:port` (IPv6 `[::1]:port` too).
    public static func host(of remote: String?) -> String? {
        guard let remote else { return nil }
        if remote.hasPrefix("["), let end = remote.firstIndex(of: "]") {
            return String(remote[remote.index(after: remote.startIndex)..<end])
        }
        guard let colon = remote.lastIndex(of: ":"), remote.firstIndex(of: ":") == colon else { return remote }
        return String(remote[..<colon])
    }
}
