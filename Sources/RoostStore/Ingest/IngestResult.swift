/// What a group commit did.
public struct IngestResult: Sendable, Hashable {
    /// Telemetry rows stored.
    public var inserted: Int
    /// Telemetry rows skipped as duplicates (same device and msg_id).
    public var duplicates: Int
    /// Positions in the batch's `telemetry` of the rows stored (the others were duplicates):
    /// what is announced after the commit (realtime events) comes from these only.
    public var insertedPositions: Set<Int>

    public init(inserted: Int, duplicates: Int, insertedPositions: Set<Int>) {
        self.inserted = inserted
        self.duplicates = duplicates
        self.insertedPositions = insertedPositions
    }
}
