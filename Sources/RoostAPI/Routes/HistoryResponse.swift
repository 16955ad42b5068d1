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
    func body(_ page: HistoryPage, limit: Int) -> ByteBuffer {
        var out = ByteBuffer()
        out.reserveCapacity(page.text.count + page.count * 96 + 64)
        out.writeStaticString("{\"items\":[")
        var times = APITime.Formatter()
        page.text.withUnsafeBufferPointer { text in
            for i in 0..<page.count {
                write(page, i, text, &times, to: &out)
            }
        }
        out.writeStaticString("],\"next_cursor\":")
        if page.count == limit, let ts = page.ts.last, let id = page.ids.last {
            out.writeString("\"\(ts)_\(id)\"")
        } else {
            out.writeStaticString("null")
        }
        out.writeStaticString("}")
        return out
    }

    private func write(
        _ page: HistoryPage, _ i: Int, _ text: UnsafeBufferPointer<UInt8>, _ times: inout APITime.Formatter,
        to out: inout ByteBuffer
    ) {
        var projected = keys.map { TelemetryRoutes.project(page.string(page.data[i]), $0).jsonText }
        let msgID = page.msgID[i].map { UnsafeBufferPointer(rebasing: text[$0]) }
        let payload = includePayload ? page.payload[i].map { UnsafeBufferPointer(rebasing: text[$0]) } : nil
        let dataCount = projected?.utf8.count ?? page.data[i].count
        // An escaped character takes at most 6 bytes (\u00XX).
        let need = 128 + dataCount + (msgID?.count ?? 0) * 6 + (payload?.count ?? 4)
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: need) { raw in
            var w = Writer(p: raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
            w.put(i == 0 ? "{\"ts\":\"" : ",{\"ts\":\"")
            times.write(page.ts[i], to: w.p + w.n)
            w.n += 24
            w.put("\",\"received_at\":\"")
            times.write(page.receivedAt[i], to: w.p + w.n)
            w.n += 24
            w.put("\",\"msg_id\":")
            if let msgID { w.quoted(msgID) } else { w.put("null") }
            w.put(",\"data\":")
            // Stored data is JSON the server wrote; the raw payload is JSON ingest accepted.
            if projected != nil {
                projected!.withUTF8 { w.copy($0) }
            } else {
                w.copy(UnsafeBufferPointer(rebasing: text[page.data[i]]))
            }
            if includePayload {
                w.put(",\"payload\":")
                if let payload { w.copy(payload) } else { w.put("null") }
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
