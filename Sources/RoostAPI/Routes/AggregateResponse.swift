import NIOCore
import RoostJSON
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
        // Member names are the same in every bucket: rendered once, into one array (nested
        // arrays cost a retain and release per name per bucket).
        var names: [UInt8] = []
        var keyNames: [Range<Int>] = []
        for (i, key) in query.keys.enumerated() {
            var b = ByteBuffer()
            if i > 0 { b.writeStaticString(",") }
            TelemetryRoutes.writeJSONString(key, to: &b)
            b.writeStaticString(":{")
            keyNames.append(names.count..<names.count + b.readableBytes)
            names += b.readableBytesView
        }
        var functionNames: [Range<Int>] = []
        for (i, f) in query.functions.enumerated() {
            let text = Array(((i > 0 ? ",\"" : "\"") + f.rawValue + "\":").utf8)
            functionNames.append(names.count..<names.count + text.count)
            names += text
        }
        // One capacity check per bucket: start, names, and at most 24 bytes a value.
        let bucketRoom =
            64 + keyNames.reduce(0) { $0 + $1.count + 1 } + keyNames.count
            * functionNames.reduce(0) { $0 + $1.count + 24 }
        // The table's values are in the order they are written: bucket, key, function.
        var times = APITime.Formatter()
        names.withUnsafeBufferPointer { names in
            table.values.withUnsafeBufferPointer { values in
                var v = 0
                for (b, start) in table.starts.enumerated() {
                    out.writeWithUnsafeMutableBytes(minimumWritableBytes: bucketRoom) { raw in
                        var w = RawJSONWriter(p: raw.baseAddress!.assumingMemoryBound(to: UInt8.self))
                        w.put(b == 0 ? "{\"start\":\"" : ",{\"start\":\"")
                        times.write(start, to: w.p + w.n)
                        w.n += 24
                        w.put("\",\"values\":{")
                        for k in keyNames.indices {
                            w.copy(UnsafeBufferPointer(rebasing: names[keyNames[k]]))
                            for f in functionNames.indices {
                                w.copy(UnsafeBufferPointer(rebasing: names[functionNames[f]]))
                                w.number(values[v])
                                v += 1
                            }
                            w.put("}")
                        }
                        w.put("}}")
                        return w.n
                    }
                }
            }
        }
        out.writeStaticString("]}")
        return out
    }
}
