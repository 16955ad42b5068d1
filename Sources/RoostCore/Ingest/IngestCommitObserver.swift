public import RoostStore

/// Told of every batch the ingest committed, once it is durable (and so readable through the
/// API): realtime events, and later alert evaluation, start here. Runs on the writer's task
/// before the next batch: it must only hand work on, never wait.
public protocol IngestCommitObserver: Sendable {
    /// `batch` as stored, `result` with the positions of the telemetry rows that were new,
    /// and the row id of every device the batch names.
    func committed(_ batch: IngestBatch, result: IngestResult, devices: [DeviceKey: Int64])
}
