import Metrics

/// Realtime counters on `/metrics`.
enum RealtimeMetrics {
    /// WebSockets open now.
    static let sockets = Gauge(label: "roost_realtime_sockets")
    /// Messages written to sockets (events and answers).
    static let events = Counter(label: "roost_realtime_events_total")
    /// Events dropped for sockets that fell behind.
    static let dropped = Counter(label: "roost_realtime_events_dropped_total")
    /// Sockets closed for falling behind too long.
    static let closedSlow = Counter(label: "roost_realtime_sockets_closed_slow_total")
}
