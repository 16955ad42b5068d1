import Foundation
public import Logging
public import RoostStore
public import ServiceLifecycle

/// Deletes what tenants keep no longer, in bounded batches with a pause between them so that
/// ingest is never held back for more than one batch. One node of several runs each round: the
/// round is claimed as a lease in the store (`retention`), renewed by its holder each round and
/// taken over by another node once it lapses.
public final class RetentionJob: Service, Sendable {
    let store: any RetentionStore & RegistryStore
    let settings: RetentionSettings
    /// Rollups run: raw rows are deleted only once rolled up, so aggregates keep them.
    let rollupsOn: Bool
    let clock: any EpochClock
    let holder: String
    let logger: Logger

    public init(
        store: any RetentionStore & RegistryStore, settings: RetentionSettings, rollupsOn: Bool,
        clock: any EpochClock = SystemEpochClock(), holder: String? = nil,
        logger: Logger = Logger(label: "roost.retention")
    ) {
        self.store = store
        self.settings = settings
        self.rollupsOn = rollupsOn
        self.clock = clock
        self.holder = holder ?? UUID().uuidString
        self.logger = logger
    }

    /// What one round deleted.
    public struct Round: Sendable, Hashable {
        public var telemetry = 0
        public var rollups = 0

        /// Counts of rows deleted.
        public init(telemetry: Int = 0, rollups: Int = 0) {
            self.telemetry = telemetry
            self.rollups = rollups
        }
    }

    /// One round over every tenant (the lease not asked); returns what it deleted.
    @discardableResult
    public func runOnce() async throws -> Round {
        var round = Round()
        let now = clock.nowMilliseconds()
        for tenant in try await store.tenants() {
            if let before = settings.rawCutoff(tenant: tenant.name, now: now) {
                round.telemetry += try await drain {
                    try await self.store.deleteTelemetry(
                        tenantID: tenant.id, before: before, rolledUpOnly: self.rollupsOn, limit: self.settings.batchSize)
                }
            }
            if let before = settings.rollupCutoff(tenant: tenant.name, now: now) {
                round.rollups += try await drain {
                    try await self.store.deleteRollups(tenantID: tenant.id, before: before, limit: self.settings.batchSize)
                }
            }
        }
        if round.telemetry + round.rollups > 0 {
            logger.info("retention deleted \(round.telemetry) telemetry rows and \(round.rollups) rollup rows")
        }
        return round
    }

    /// Repeats `batch` until it deletes less than a full batch, pausing between batches.
    private func drain(_ batch: @Sendable () async throws -> Int) async throws -> Int {
        var total = 0
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let n = try await batch()
            total += n
            if n < settings.batchSize { break }
            try? await Task.sleep(for: .milliseconds(Int64(settings.pause * 1000)))
        }
        return total
    }

    /// A round every `interval` while this node holds the lease, until shutdown.
    public func run() async throws {
        guard settings.isActive else { return }
        let interval = Duration.milliseconds(Int64(max(0.01, settings.interval) * 1000))
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let now = clock.nowMilliseconds()
                // Held a little longer than a round lasts apart, so that the holder keeps it.
                let until = now + Int64(settings.interval * 1500)
                if try await store.claimLease("retention", holder: holder, until: until, now: now) {
                    try await runOnce()
                }
            } catch {
                logger.warning("retention failed, retrying next round: \(error)")
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
