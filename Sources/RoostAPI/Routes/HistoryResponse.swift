import NIOCore
import RoostJSON
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
            var w = RawJSONWriter(p: raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
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
}
