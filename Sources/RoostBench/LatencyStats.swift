import Histogram
import NIOConcurrencyHelpers

/// Latencies of events that carry their send time as `"sent":µs` (uptime clock): how many
/// arrived, when the last did, and their histogram in microseconds.
final class LatencyStats: Sendable {
    struct State {
        var received = 0
        var last: UInt64 = 0
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    }
    let state = NIOLockedValueBox(State())

    /// Records the event in each of `texts` (text after `"sent":` read as µs).
    func record<S: StringProtocol>(_ texts: some Sequence<S>) {
        let now = nowNanos()
        var sents: [UInt64] = []
        for text in texts {
            guard let range = text.range(of: "\"sent\":") else { continue }
            if let sent = UInt64(text[range.upperBound...].prefix { $0.isNumber }) { sents.append(sent) }
        }
        guard !sents.isEmpty else { return }
        state.withLockedValue { s in
            for sent in sents {
                s.received += 1
                _ = s.histogram.record(now / 1000 > sent ? now / 1000 - sent : 0)
            }
            s.last = now
        }
    }

    /// Records one event.
    func record(_ text: String) { record(CollectionOfOne(text)) }
}
