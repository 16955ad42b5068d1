/// What a group commit did.
public struct IngestResult: Sendable, Hashable {
    /// Telemetry rows stored.
    public var inserted: Int
    /// Telemetry rows skipped as duplicates (same device and msg_id).
    public var duplicates: Int

    public init(inserted: Int, duplicates: Int) {
        self.inserted = inserted
        self.duplicates = duplicates
    }
}
