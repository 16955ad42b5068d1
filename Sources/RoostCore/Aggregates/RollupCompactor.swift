public import Logging
import Metrics
public import RoostStore
public import ServiceLifecycle

/// Keeps the per-minute rollups up with the telemetry: reads the rows stored since the
/// watermark, folds them into cells, merges the cells and moves the watermark in one
/// transaction. Aggregates stay exact while it lags (they read the newer rows raw); it only
/// makes them cheaper. Several nodes on one database may each run one: a round that another
/// node beat is dropped.
public final class RollupCompactor: Service, Sendable {
    let store: any RollupStore
    /// Pause between rounds once caught up.
    let interval: Duration
    /// Most rows read in one round: small enough that a round's write transaction is short
    /// (SQLite's ingest waits for it).
    let chunk: Int64
    let logger: Logger
    /// Decides which hours are past (packing).
    let epochClock: any EpochClock
    static let lagGauge = Gauge(label: "roost_rollup_lag_rows")
    static let rowsCounter = Counter(label: "roost_rollup_rows_total")

    /// A compactor over `store`.
    public init(
        store: any RollupStore, interval: Duration = .seconds(1), chunk: Int64 = 10_000,
        epochClock: any EpochClock = SystemEpochClock(), logger: Logger = Logger(label: "roost.rollup")
    ) {
        self.epochClock = epochClock
        self.store = store
        self.interval = interval
        self.chunk = chunk
        self.logger = logger
    }

    /// Runs rounds until shutdown; a failed round is logged and tried again later. While it
    /// catches up it rests as long as each round took, so that it never takes more than half a
    /// core from ingest (and SQLite's single writer is free at least half the time).
    public func run() async throws {
        let clock = ContinuousClock()
        var packedBefore = Int64.min
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            var rolled: Int64 = 0
            let took = await clock.measure {
                do {
                    rolled = try await round()
                    if rolled == 0 { packedBefore = try await pack(since: packedBefore) }
                } catch {
                    logger.warning("rollup round failed, retrying: \(error)")
                }
            }
            let rest = rolled == 0 ? interval : max(.milliseconds(5), took)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: rest) }
        }
    }

    /// Once an hour (and at start): packs the cells of the hours that ended more than an hour
    /// ago (``RollupStore/packRollups(before:)``); late cells of packed hours go at the next
    /// pack. Returns the cutoff now packed.
    @discardableResult
    public func pack(since packed: Int64 = .min, now: Int64? = nil) async throws -> Int64 {
        let cutoff = RollupBuilder.floor(now ?? epochClock.nowMilliseconds(), to: 3_600_000) - 3_600_000
        guard cutoff > packed else { return packed }
        let moved = try await store.packRollups(before: cutoff)
        if moved > 0 { logger.debug("packed \(moved) rollup cells of minutes before \(cutoff)") }
        return cutoff
    }

    /// Rounds until the rows stored before the call are rolled up; returns how many rows were.
    /// Gives up after `timeout` (a writer that never ends).
    @discardableResult
    public func catchUp(timeout: Duration = .seconds(60)) async throws -> Int64 {
        let target = try await store.rollupWatermark().head
        let deadline = ContinuousClock.now + timeout
        var total: Int64 = 0
        while try await store.rollupWatermark().done < target {
            let n = try await round()
            total += n
            if n == 0 {
                guard ContinuousClock.now < deadline else { throw RollupError.timedOut }
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        return total
    }

    /// One round: returns how many rows it rolled up (0 when there was nothing to do, or
    /// another node or a deletion got in between).
    public func round() async throws -> Int64 {
        let mark = try await store.rollupWatermark()
        Self.lagGauge.record(mark.lag)
        let safe = try await store.rollupSafeHead(mark)
        guard safe > mark.done else { return 0 }
        let through = min(safe, mark.done + chunk)
        var builder = RollupBuilder()
        for row in try await store.rollupSource(after: mark.done, through: through) {
            builder.add(row)
        }
        guard try await store.writeRollups(builder.cells, read: mark, through: through) else {
            logger.debug("rollup round dropped: the watermark moved meanwhile")
            return 0
        }
        Self.rowsCounter.increment(by: Int(through - mark.done))
        Self.lagGauge.record(max(0, mark.head - through))
        return through - mark.done
    }
}

/// Why rolling up stopped.
public enum RollupError: Error, Sendable {
    /// Rows stayed uncommitted (or rounds kept being voided) for the whole wait.
    case timedOut
}
