import RoostStore

/// Telemetry a publisher has already normalised (HTTP ingest validates every item before it
/// accepts a request), attached to its message so that the ingest pipeline does not parse the
/// payload again. Valid for topics without a `{feed}`, whose payload alone decides the fields.
public final class PreparedTelemetry: Sendable {
    /// The normalised payload, `raw` included.
    public let payload: TelemetryPayload

    public init(_ payload: TelemetryPayload) { self.payload = payload }
}
