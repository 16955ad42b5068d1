/// Reading what the ingest stored.
public protocol TelemetryStore: Sendable {
    func history(_ query: HistoryQuery) async throws -> [TelemetryPoint]
    /// The same points as ``history(_:)``, in columns (what the API writes pages from).
    func historyPage(_ query: HistoryQuery) async throws -> HistoryPage
    /// The page of device `query.device` if it belongs to tenant `tenantID` (any tenant when
    /// nil), nil when there is no such device: the history route's lookup and read in one step.
    /// When the device's data version is `unlessVersion`, nothing is read (``HistoryRead/unchanged``):
    /// the caller's copy of the page is still the page.
    func historyPage(_ query: HistoryQuery, tenantID: Int64?, unlessVersion: Int64?) async throws -> HistoryRead?
    func aggregate(_ query: AggregateQuery) async throws -> [AggregateBucket]
    /// Newest first.
    func statusEvents(device: Int64, limit: Int) async throws -> [StatusEvent]
    /// Newest first.
    func deadLetters(device: Int64, limit: Int) async throws -> [DeadLetter]
}

extension TelemetryStore {
    /// Built from ``history(_:)``; a store may read straight into the columns instead.
    public func historyPage(_ query: HistoryQuery) async throws -> HistoryPage {
        HistoryPage(points: try await history(query))
    }
}
