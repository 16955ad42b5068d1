import NIOCore
import RoostCore
import RoostStore

/// A history page written straight into one buffer, each point with one capacity check and
/// plain byte copies: a page is 1,000 points, and writing them piece by piece (a bounds and
/// uniqueness check per piece) took as long as reading them from SQLite.
struct HistoryResponse {
    /// Only these keys of `data`, when given.
    let keys: [String]?
    let includePayload: Bool

    /// `{"items":[…],"next_cursor":…}`; the cursor is given when the page is full.
    func body(_ points: [TelemetryPoint], limit: Int) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(points.count * 160 + 64)
        out.writeStaticString("{\"items\":[")
        for i in points.indices {
            write(points[i], first: i == 0, to: &out)
        }
        out.writeStaticString("],\"next_cursor\":")
        if points.count == limit, let last = points.last {
            out.writeString("\"\(last.ts)_\(last.id)\"")
        } else {
            out.writeStaticString("null")
        }
        out.writeStaticString("}")
        return out
    }

    private func write(_ p: TelemetryPoint, first: Bool, to out: inout ByteBuffer) {
        var data = keys.map { TelemetryRoutes.project(p.data, $0).jsonText } ?? p.data
        var msgID = p.msgID
        var payload = includePayload ? (p.payload ?? "null") : nil
        // An escaped character takes at most 6 bytes (\u00XX).
        let need = 128 + data.utf8.count + (msgID?.utf8.count ?? 0) * 6 + (payload?.utf8.count ?? 0)
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: need) { raw in
            var w = Writer(p: raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
            w.put(first ? "{\"ts\":\"" : ",{\"ts\":\"")
            APITime.write(p.ts, to: w.p + w.n)
            w.n += 24
            w.put("\",\"received_at\":\"")
            APITime.write(p.receivedAt, to: w.p + w.n)
            w.n += 24
            w.put("\",\"msg_id\":")
            if msgID != nil { msgID!.withUTF8 { w.quoted($0) } } else { w.put("null") }
            w.put(",\"data\":")
            // Stored data is JSON the server wrote; the raw payload is JSON ingest accepted.
            data.withUTF8 { w.copy($0) }
            if payload != nil {
                w.put(",\"payload\":")
                payload!.withUTF8 { w.copy($0) }
            }
            w.put("}")
            return w.n
        }
    }

    /// Writes at `p + n`; the caller reserved the room.
    private struct Writer {
        let p: UnsafeMutablePointer<UInt8>
        var n = 0

        mutating func put(_ s: StaticString) {
            (p + n).update(from: s.utf8Start, count: s.utf8CodeUnitCount)
            n += s.utf8CodeUnitCount
        }

        mutating func copy(_ bytes: UnsafeBufferPointer<UInt8>) {
            guard let base = bytes.baseAddress else { return }
            (p + n).update(from: base, count: bytes.count)
            n += bytes.count
        }

        /// A JSON string: quotes, backslashes and control characters escaped, UTF-8 as is.
        mutating func quoted(_ bytes: UnsafeBufferPointer<UInt8>) {
            p[n] = UInt8(ascii: "\"")
            n += 1
            let hex: StaticString = "0123456789abcdef"
            for b in bytes {
                switch b {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                    p[n] = UInt8(ascii: "\\")
                    p[n + 1] = b
                    n += 2
                case 0x0A: put("\\n")
                case 0x0D: put("\\r")
                case 0x09: put("\\t")
                case ..<0x20:
                    put("\\u00")
                    p[n] = hex.utf8Start[Int(b >> 4)]
                    p[n + 1] = hex.utf8Start[Int(b & 0x0F)]
                    n += 2
                default:
                    p[n] = b
                    n += 1
                }
            }
            p[n] = UInt8(ascii: "\"")
            n += 1
        }
    }
}
