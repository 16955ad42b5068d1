import Logging
import NIOConcurrencyHelpers
import SQLiteNIO

/// Copies the write-ahead log back into the database file on a connection of its own, off the
/// writer's commit path.
///
/// SQLite's default is for the committing connection to checkpoint each time the log passes
/// 1,000 pages. Telemetry touches the rightmost index page of every device at each commit, so
/// the same pages were copied back after almost every batch, and the commit that crossed the
/// threshold waited for the copy. Measured with 1M rows over 1,000 devices in 5,000-row batches:
/// 51k rows/s with the default, 82k when checkpoints ran every 50,000 pages.
/// Here the writer's automatic checkpoint is only a backstop, and every `interval` this task runs
/// a PASSIVE checkpoint, which copies pages beside the writer and readers without blocking them.
///
/// A log is only started over when a write transaction begins with every page of it copied,
/// which under constant load never happened: the writer always added pages while the
/// checkpoint ran, and the log grew to the backstop. So a second checkpoint follows with the
/// writer held off (``SQLiteStore/transaction(_:)`` waits): it copies only what the first one
/// left, and the next transaction restarts the log.
final class SQLiteCheckpointer: Sendable {
    /// Pages in the log after which the writer checkpoints by itself (SQLite's automatic
    /// checkpoint), should this task fall behind: 100,000 pages is about 400 MB.
    static let backstopPages = 100_000

    /// A pass this short leaves little for the pass that holds the writer off.
    static let shortPass = Duration.milliseconds(5)
    /// Passes beside the writer before holding it off regardless.
    static let maxPasses = 6

    /// Runs its argument while no write transaction is open.
    typealias HoldingWriter = @Sendable (@Sendable () async throws -> Void) async throws -> Void

    private let connection: SQLiteConnection
    private let interval: Duration
    private let holdingWriter: HoldingWriter
    private let logger: Logger
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    init(connection: SQLiteConnection, interval: Duration, logger: Logger, holdingWriter: @escaping HoldingWriter) {
        self.connection = connection
        self.interval = interval
        self.holdingWriter = holdingWriter
        self.logger = logger
    }

    /// Starts checkpointing every `interval` until ``stop()``.
    func start() {
        let task = Task { [self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard !Task.isCancelled else { break }
                do {
                    try await checkpoint()
                } catch {
                    logger.warning("sqlite checkpoint failed: \(error)")
                }
            }
        }
        self.task.withLockedValue { $0 = task }
    }

    /// One round: copy beside the writer until a pass is short, then copy the rest with the
    /// writer held off. An idle database (nothing in the log) skips the held step.
    func checkpoint() async throws {
        var passes = 0
        while true {
            let started = ContinuousClock.now
            let result = try await connection.rows("PRAGMA wal_checkpoint(PASSIVE)")
            guard let log = result.first?.column("log")?.integer, log > 0 else { return }
            passes += 1
            // What the next pass copies is what the writer added during this one.
            if ContinuousClock.now - started < Self.shortPass || passes >= Self.maxPasses { break }
        }
        try await holdingWriter { [connection] in
            _ = try await connection.rows("PRAGMA wal_checkpoint(PASSIVE)")
        }
    }

    /// Stops the task, runs a last checkpoint and closes the connection.
    func stop() async {
        let task = self.task.withLockedValue { t in
            defer { t = nil }
            return t
        }
        task?.cancel()
        await task?.value
        _ = try? await connection.rows("PRAGMA wal_checkpoint(PASSIVE)")
        try? await connection.close()
    }
}
