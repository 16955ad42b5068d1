import NIOConcurrencyHelpers

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Wall-clock time in epoch milliseconds, the unit every stored time has. The domain reads
/// the time only through a clock it was given, so tests can move time by hand.
public protocol EpochClock: Sendable {
    /// Now, in milliseconds since 1970-01-01T00:00:00Z.
    func nowMilliseconds() -> Int64
}

/// The system's real-time clock.
public struct SystemEpochClock: EpochClock {
    public init() {}

    public func nowMilliseconds() -> Int64 { Self.now() }

    /// Now, in epoch milliseconds: the one place that reads the system clock.
    public static func now() -> Int64 {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return Int64(ts.tv_sec) * 1000 + Int64(ts.tv_nsec) / 1_000_000
    }
}

/// A clock that moves only when told: for tests of anything time-driven.
public final class ManualEpochClock: EpochClock {
    private let now: NIOLockedValueBox<Int64>

    /// Starts at `start` epoch milliseconds.
    public init(start: Int64) { now = NIOLockedValueBox(start) }

    public func nowMilliseconds() -> Int64 { now.withLockedValue { $0 } }

    /// Moves the clock forward (or back, with a negative amount) by `milliseconds`.
    public func advance(by milliseconds: Int64) { now.withLockedValue { $0 += milliseconds } }

    /// Sets the clock to `milliseconds`.
    public func set(_ milliseconds: Int64) { now.withLockedValue { $0 = milliseconds } }
}
