/// How long each tenant's data is kept: raw telemetry and per-minute rollups, in days (nil:
/// forever), a default and per-tenant values, and how the job runs.
public struct RetentionSettings: Sendable, Hashable {
    /// Days of raw telemetry kept (`retention.raw_days`); nil keeps it forever.
    public var rawDays: Double?
    /// Days of rollups kept (`retention.rollup_days`); nil keeps them forever.
    public var rollupDays: Double?
    /// Per tenant name, overriding ``rawDays`` (`[retention.tenant_raw_days]`; 0: forever).
    public var tenantRawDays: [String: Double] = [:]
    /// Per tenant name, overriding ``rollupDays`` (`[retention.tenant_rollup_days]`; 0: forever).
    public var tenantRollupDays: [String: Double] = [:]
    /// Seconds between rounds (`retention.interval`).
    public var interval: Double = 3600
    /// Rows deleted per transaction (`retention.batch_size`): short transactions, so ingest
    /// (SQLite has one writer) waits at most one batch.
    public var batchSize = 5000
    /// Seconds between batches, leaving the store to ingest.
    public var pause: Double = 0.02

    public init() {}

    /// Whether anything is ever deleted.
    public var isActive: Bool {
        rawDays != nil || rollupDays != nil || tenantRawDays.values.contains { $0 > 0 }
            || tenantRollupDays.values.contains { $0 > 0 }
    }

    /// The raw telemetry cutoff of `tenant` at `now` (epoch ms), nil when kept forever.
    public func rawCutoff(tenant: String, now: Int64) -> Int64? {
        Self.cutoff(tenantRawDays[tenant] ?? tenantRawDays[tenant.lowercased()] ?? rawDays, now)
    }

    /// The rollup cutoff of `tenant` at `now`, nil when kept forever.
    public func rollupCutoff(tenant: String, now: Int64) -> Int64? {
        Self.cutoff(tenantRollupDays[tenant] ?? tenantRollupDays[tenant.lowercased()] ?? rollupDays, now)
    }

    private static func cutoff(_ days: Double?, _ now: Int64) -> Int64? {
        guard let days, days > 0 else { return nil }
        return now - Int64(days * 86_400_000)
    }
}
