/// Deleting what is older than a tenant keeps (raw telemetry, per-minute rollups), in bounded
/// batches, and a lease so that one node of several runs a periodic job at a time.
public protocol RetentionStore: Sendable {
    /// Deletes up to `limit` telemetry rows of the tenant with `ts < before` (epoch ms); with
    /// `rolledUpOnly`, only rows the rollups already hold, so that aggregates keep them.
    /// Returns how many rows went. Devices that lost rows get a new data version (cached
    /// history pages of them are not served again).
    func deleteTelemetry(tenantID: Int64, before: Int64, rolledUpOnly: Bool, limit: Int) async throws -> Int
    /// Deletes up to `limit` rollup rows of the tenant older than `before`: minutes that start
    /// before it (and on PostgreSQL packed hours that end by it). Returns how many went.
    func deleteRollups(tenantID: Int64, before: Int64, limit: Int) async throws -> Int
    /// Takes the lease `name` for `holder` until `until` (epoch ms) when it is free (never taken,
    /// expired at `now`, or already this holder's); true when taken.
    func claimLease(_ name: String, holder: String, until: Int64, now: Int64) async throws -> Bool
}
