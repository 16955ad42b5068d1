/// The storage side of ingest: device registration on first sight and group commits.
/// Implemented by SQLite and PostgreSQL; both pass the same conformance tests.
public protocol IngestStore: Sendable {
    /// Row ids of these devices, creating tenants and devices not seen before.
    func resolveDevices(_ keys: Set<DeviceKey>, now: Int64) async throws -> [DeviceKey: Int64]
    /// Which of these message ids are already stored (to skip duplicates before they touch
    /// latest values; the write itself also ignores them).
    func existingMessageIDs(_ ids: [DeviceMessageID]) async throws -> Set<DeviceMessageID>
    /// Writes a batch in one transaction: all of it is durable when this returns, or none.
    func write(_ batch: IngestBatch) async throws -> IngestResult
}
