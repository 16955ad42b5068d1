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
        let functionNames: [ByteBuffer] = query.functions.enumerated().map { i, f in
            ByteBuffer(string: (i > 0 ? ",\"" : "\"") + f.rawValue + "\":")
        }
        // The table's values are in the order they are written: bucket, key, function.
        let values = table.values
        var v = 0
        for (n, start) in table.starts.enumerated() {
            out.writeStaticString(n == 0 ? "{\"start\":\"" : ",{\"start\":\"")
            APITime.write(start, to: &out)
            out.writeStaticString("\",\"values\":{")
            for k in keyNames.indices {
                out.writeImmutableBuffer(keyNames[k])
                for f in functionNames.indices {
                    out.writeImmutableBuffer(functionNames[f])
                    Self.write(values[v], to: &out)
                    v += 1
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
            writeInteger(Int64(v), to: &out)
        } else {
            out.writeString(v.description)
        }
    }

    /// Decimal digits written in place, no string in between.
    static func writeInteger(_ n: Int64, to out: inout ByteBuffer) {
        var magnitude = n.magnitude
        out.writeWithUnsafeMutableBytes(minimumWritableBytes: 20) { raw in
            var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch
            return withUnsafeMutableBytes(of: &digits) { scratch in
                var i = scratch.count
                repeat {
                    i -= 1
                    scratch[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
                    magnitude /= 10
                } while magnitude > 0
                if n < 0 {
                    i -= 1
                    scratch[i] = UInt8(ascii: "-")
                }
                let count = scratch.count - i
                raw.baseAddress!.copyMemory(from: scratch.baseAddress! + i, byteCount: count)
                return count
            }
        }
    }
}
