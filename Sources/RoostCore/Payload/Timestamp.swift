import Foundation
public import RoostJSON

/// Device timestamps as devices send them: epoch seconds, milliseconds or microseconds (numbers
/// or numeric strings), or ISO 8601 / RFC 3339 text. Normalised to epoch milliseconds.
public enum Timestamp {
    /// Epoch milliseconds for `value`, or nil when it is not a time.
    public static func epochMilliseconds(_ value: JSONValue) -> Int64? {
        switch value {
        case .number(let n): return fromNumber(n)
        case .string(let s):
            if let n = Double(s.trimmingSpaces()) { return fromNumber(n) }
            return fromISO8601(s)
        default: return nil
        }
    }

    /// Numbers: below 1e11 are seconds (until year 5138), below 1e14 milliseconds, else microseconds.
    static func fromNumber(_ n: Double) -> Int64? {
        guard n.isFinite, n > 0 else { return nil }
        switch n {
        case ..<1e11: return Int64((n * 1000).rounded())
        case ..<1e14: return Int64(n.rounded())
        case ..<1e17: return Int64((n / 1000).rounded())
        default: return nil
        }
    }

    static func fromISO8601(_ s: String) -> Int64? {
        let text = s.trimmingSpaces()
        for style in styles {
            if let date = try? Date(String(text), strategy: style) {
                return Int64((date.timeIntervalSince1970 * 1000).rounded())
            }
        }
        return nil
    }

    private static let styles: [Date.ISO8601FormatStyle] = [
        .iso8601,
        Date.ISO8601FormatStyle(includingFractionalSeconds: true),
    ]

    /// RFC 3339 with milliseconds in UTC, as the API writes times.
    public static func rfc3339(epochMilliseconds ms: Int64) -> String {
        var formatter = RFC3339Formatter()
        return formatter.string(ms)
    }
}
