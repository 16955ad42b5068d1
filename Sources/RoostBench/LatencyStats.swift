import Histogram
import NIOCore
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

    /// Records the event in `bytes`, a message whose `"sent":` is followed by its send time in
    /// µs, without making a String of it.
    func record(bytes: ByteBuffer) {
        let now = nowNanos()
        let sent: UInt64? = bytes.withUnsafeReadableBytes { raw in
            let key = Array("\"sent\":".utf8)
            guard raw.count > key.count else { return nil }
            var i = 0
            while i + key.count <= raw.count {
                if raw[i] == key[0], zip(key.indices, key).allSatisfy({ raw[i + $0] == $1 }) {
                    var value: UInt64 = 0
                    var j = i + key.count
                    while j < raw.count, raw[j] >= 48, raw[j] <= 57 {
                        value = value * 10 + UInt64(raw[j] - 48)
                        j += 1
                    }
                    return j > i + key.count ? value : nil
                }
                i += 1
            }
            return nil
        }
        guard let sent else { return }
        state.withLockedValue { s in
            s.received += 1
            _ = s.histogram.record(now / 1000 > sent ? now / 1000 - sent : 0)
            s.last = now
        }
    }
}
