/// A page of one device's history: `[from, to)` in epoch ms, newest first unless `ascending`,
/// continuing after the `(ts, id)` of the previous page's last point.
public struct HistoryQuery: Sendable, Hashable {
    public var device: Int64
    public var from: Int64?
    public var to: Int64?
    public var limit: Int
    public var ascending: Bool
    public var afterTS: Int64?
    public var afterID: Int64?
    /// Whether points carry the raw payload (read only when asked: it doubles the bytes read).
    public var includePayload = false

    public init(
        device: Int64, from: Int64? = nil, to: Int64? = nil, limit: Int = 1000, ascending: Bool = false,
        afterTS: Int64? = nil,
        afterID: Int64? = nil
    ) {
        self.device = device
        self.from = from
        self.to = to
        self.limit = limit
        self.ascending = ascending
        self.afterTS = afterTS
        self.afterID = afterID
    }
}
