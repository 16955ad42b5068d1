/// RFC 3339 with milliseconds in UTC (`2026-11-26T13:54:37.123Z`, 24 bytes), written by hand:
/// history pages and realtime events format thousands of times a second. Formats times one
/// after another, keeping the text of the last day it wrote: the times of a page or a batch
/// mostly share their date, and the date is most of the arithmetic.
public struct RFC3339Formatter: Sendable {
    public init() {}

    private var day = Int.min
    /// `YYYY-MM-DD` of `day`.
    private var date: (UInt64, UInt16) = (0, 0)

    /// Writes the 24 bytes of the RFC 3339 text of `ms` at `p`.
    public mutating func write(_ ms: Int64, to p: UnsafeMutablePointer<UInt8>) {
        let millis = Int(((ms % 1000) + 1000) % 1000)
        let seconds = (ms - Int64(millis)) / 1000
        var days = Int(seconds / 86_400)
        var rem = Int(seconds % 86_400)
        if rem < 0 {
            rem += 86_400
            days -= 1
        }
        if days != day {
            day = days
            date = Self.date(days)
        }
        let raw = UnsafeMutableRawPointer(p)
        raw.storeBytes(of: date.0, as: UInt64.self)
        raw.storeBytes(of: date.1, toByteOffset: 8, as: UInt16.self)
        // THH:MM:SS.mmmZ
        p[10] = UInt8(ascii: "T")
        Self.two(rem / 3600, at: p + 11)
        p[13] = UInt8(ascii: ":")
        Self.two(rem / 60 % 60, at: p + 14)
        p[16] = UInt8(ascii: ":")
        Self.two(rem % 60, at: p + 17)
        p[19] = UInt8(ascii: ".")
        p[20] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: millis / 100)
        Self.two(millis % 100, at: p + 21)
        p[23] = UInt8(ascii: "Z")
    }

    @inline(__always) private static func two(_ v: Int, at p: UnsafeMutablePointer<UInt8>) {
        p[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v / 10)
        p[1] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
    }

    /// The 10 bytes of `YYYY-MM-DD` for days since 1970-01-01 (Howard Hinnant's
    /// civil_from_days), as the little-endian words they are stored as.
    private static func date(_ days: Int) -> (UInt64, UInt16) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = max(0, yoe + era * 400 + (month <= 2 ? 1 : 0))
        var bytes: (UInt64, UInt16) = (0, 0)
        withUnsafeMutableBytes(of: &bytes) { raw in
            let p = raw.baseAddress!.assumingMemoryBound(to: UInt8.self)
            two(year / 100 % 100, at: p)
            two(year % 100, at: p + 2)
            p[4] = UInt8(ascii: "-")
            two(month, at: p + 5)
            p[7] = UInt8(ascii: "-")
            two(day, at: p + 8)
        }
        return bytes
    }
}

extension RFC3339Formatter {
    /// The text of `ms`.
    public mutating func string(_ ms: Int64) -> String {
        String(unsafeUninitializedCapacity: 24) { buffer in
            write(ms, to: buffer.baseAddress!)
            return 24
        }
    }
}
