import NIOCore
import RoostCore

/// Times as the API writes them (RFC 3339, milliseconds, UTC) and reads them (RFC 3339 or
/// epoch milliseconds). Formatting is done by hand: history pages format thousands of times.
enum APITime {
    /// `2026-11-26T13:54:37.123Z`.
    static func rfc3339(_ ms: Int64) -> String { Timestamp.rfc3339(epochMilliseconds: ms) }

    /// Writes the quoted-less RFC 3339 text of `ms` into `buffer`.
    static func write(_ ms: Int64, to buffer: inout ByteBuffer) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: 24) { raw in
            write(ms, to: raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
            return 24
        }
    }

    /// Writes the 24 bytes of the RFC 3339 text of `ms` at `p`.
    static func write(_ ms: Int64, to p: UnsafeMutablePointer<UInt8>) {
        var formatter = Formatter()
        formatter.write(ms, to: p)
    }

    /// The formatter history pages use (``RFC3339Formatter``, shared with realtime events).
    typealias Formatter = RFC3339Formatter

    /// Times the API accepts: years 1 to 9999.
    static let range: ClosedRange<Int64> = -62_135_596_800_000...253_402_300_799_999

    /// RFC 3339 / ISO 8601 text, or an integer of epoch milliseconds.
    static func parse(_ text: String) -> Int64? {
        if let ms = Int64(text) { return ms }
        return Timestamp.epochMilliseconds(.string(text))
    }
}
