import NIOConcurrencyHelpers
public import RoostStore
public import Synchronization

/// How many commands reached each status, and answers ignored; read by `/metrics`.
public final class CommandCounters: Sendable {
    private let byStatus = NIOLockedValueBox<[CommandStatus: Int]>([:])
    /// Answers naming an unknown, foreign or finished command.
    public let ignoredAcks = Atomic<Int>(0)

    init() {}

    func count(_ status: CommandStatus) {
        byStatus.withLockedValue { $0[status, default: 0] += 1 }
    }

    /// Commands that reached `status` since start.
    public func count(of status: CommandStatus) -> Int {
        byStatus.withLockedValue { $0[status] ?? 0 }
    }
}
