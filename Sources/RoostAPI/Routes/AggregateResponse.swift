import NIOCore
import RoostStore

/// The aggregate answer written straight into one buffer: a day of one-minute buckets is
/// ~1,440 objects, which a JSON tree would build and copy several times over.
struct AggregateResponse {
    let device: Int64
    let query: AggregateQuery

    func body(_ table: AggregateTable) -> ByteBuffer {
        let perBucket =
            48 + query.keys.reduce(0) { $0 + $1.utf8.count + 8 } + query.keys.count * query.functions.count * 24
        var out = ByteBuffer()
        out.reserveCapacity(128 + table.starts.count * perBucket)
        out.writeStaticString("{\"device\":")
        out.writeString(String(device))
        out.writeStaticString(",\"from\":\"")
        APITime.write(query.from, to: &out)
        out.writeStaticString("\",\"to\":\"")
        APITime.write(query.to, to: &out)
        out.writeStaticString("\",\"bucket_ms\":")
        out.writeString(String(query.bucket))
        out.writeStaticString(",\"buckets\":[")
        // Member names are the same in every bucket: rendered once.
        let keyNames: [ByteBuffer] = query.keys.enumerated().map { i, key in
            var b = ByteBuffer()
            if i > 0 { b.writeStaticString(",") }
            TelemetryRoutes.writeJSONString(key, to: &b)
            b.writeStaticString(":{")
            return b
        }
        let functionNames: [String] = query.functions.enumerated().map { i, f in
            (i > 0 ? ",\"" : "\"") + f.rawValue + "\":"
        }
        for (n, start) in table.starts.enumerated() {
            out.writeStaticString(n == 0 ? "{\"start\":\"" : ",{\"start\":\"")
            APITime.write(start, to: &out)
            out.writeStaticString("\",\"values\":{")
            for k in query.keys.indices {
                out.writeImmutableBuffer(keyNames[k])
                for f in query.functions.indices {
                    out.writeString(functionNames[f])
                    Self.write(table.value(bucket: n, key: k, function: f), to: &out)
                }
                out.writeStaticString("}")
            }
            out.writeStaticString("}}")
        }
        out.writeStaticString("]}")
        return out
    }

    /// Integers without a fraction, other numbers in Swift's shortest round-trip form; null
    /// for no value (and for the non-finite, which JSON cannot hold).
    static func write(_ value: Double?, to out: inout ByteBuffer) {
        guard let v = value, v.isFinite else {
            out.writeStaticString("null")
            return
        }
        if v == v.rounded(), abs(v) < 1e15 {
            out.writeString(String(Int64(v)))
        } else {
            out.writeString(v.description)
        }
    }
}
