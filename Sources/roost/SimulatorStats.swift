import Foundation
import NIOConcurrencyHelpers

/// The simulator's counters, and the live line it keeps on a terminal.
final class SimulatorStats: Sendable {
    struct Counts {
        var sent = 0
        var acked = 0
        var errors = 0
        /// Devices connected now.
        var connected = 0
        var connects = 0
        /// Connections lost (not by --churn) and made again.
        var reconnects = 0
        /// Connections dropped on purpose by --churn.
        var churned = 0
    }

    let counts = NIOLockedValueBox(Counts())
    let behaviour = NIOLockedValueBox(SimulatedDevice.Counts())

    func update(_ body: (inout Counts) -> Void) { counts.withLockedValue(body) }

    var snapshot: Counts { counts.withLockedValue { $0 } }

    /// Writes `connected X/N, sent, acked, errors, rate` over itself on stderr every second
    /// while `running`, when stderr is a terminal; clears the line at the end.
    func live(devices: Int, until done: @escaping @Sendable () -> Bool) -> Task<Void, Never>? {
        guard isatty(STDERR_FILENO) == 1 else { return nil }
        return Task {
            var last = 0
            while !done() && !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                let c = snapshot
                let line = "connected \(c.connected)/\(devices)  sent \(c.sent)  acked \(c.acked)  errors \(c.errors)  \(c.acked - last) msg/s"
                last = c.acked
                FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
            }
            FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
        }
    }
}
