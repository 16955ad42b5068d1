import Foundation
import NIOCore
import RoostJSON
import RoostStore
import Testing

@testable import RoostAPI

@Suite("API: aggregate response")
struct AggregateResponseTests {
    /// What ``RawJSONWriter`` writes for `body`.
    static func written(_ body: (inout RawJSONWriter) -> Void) -> String {
        var bytes = [UInt8](repeating: 0, count: 32)
        let n = bytes.withUnsafeMutableBufferPointer { buffer in
            var w = RawJSONWriter(p: buffer.baseAddress!)
            body(&w)
            return w.n
        }
        return String(decoding: bytes.prefix(n), as: UTF8.self)
    }

    static func text(_ value: Double?) -> String { written { $0.number(value) } }

    @Test("numbers: integers without a fraction, shortest round trip otherwise, null for none")
    func numbers() {
        #expect(Self.text(0) == "0" && Self.text(-0.0) == "0" && Self.text(7) == "7" && Self.text(-42) == "-42")
        #expect(Self.text(999_999_999_999_999) == "999999999999999")
        #expect(Double(Self.text(1e15)) == 1e15 && Self.text(25.142857142857142) == "25.142857142857142")
        #expect(Self.text(-0.5) == "-0.5" && Self.text(nil) == "null" && Self.text(.infinity) == "null")
        #expect(Self.text(.nan) == "null")
        for n: Int64 in [1, 9, 10, 99, 100, 12_345, -1, -10, 1_000_000_007, -999_999_999_999_999] {
            #expect(Self.written { $0.integer(n) } == String(n))
        }
    }

    @Test("the body is the JSON the table holds, in its order")
    func body() throws {
        let q = AggregateQuery(
            device: 5, keys: ["temp", "a\"b"], from: 0, to: 120_000, bucket: 60_000, functions: [.avg, .count])
        let table = AggregateTable(
            keys: q.keys, functions: q.functions, starts: [0, 60_000], values: [1.5, 2, nil, 0, 3, 1, 4, 1])
        let body = AggregateResponse(device: 5, query: q).body(table)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: Any])
        #expect(json["device"] as? Int == 5 && json["bucket_ms"] as? Int == 60_000)
        let buckets = try #require(json["buckets"] as? [[String: Any]])
        #expect(buckets.map { $0["start"] as? String } == ["1970-01-01T00:00:00.000Z", "1970-01-01T00:01:00.000Z"])
        let first = try #require(buckets[0]["values"] as? [String: [String: Any]])
        #expect(first["temp"]?["avg"] as? Double == 1.5 && first["temp"]?["count"] as? Int == 2)
        #expect(first["a\"b"]?["avg"] is NSNull && first["a\"b"]?["count"] as? Int == 0)
        let second = try #require(buckets[1]["values"] as? [String: [String: Any]])
        #expect(second["temp"]?["avg"] as? Int == 3 && second["a\"b"]?["avg"] as? Int == 4)
    }

    @Test("a day of buckets with the longest numbers fits the room reserved per bucket")
    func longNumbers() throws {
        let q = AggregateQuery(device: 1, keys: ["k1", "k2"], from: 0, to: 1, bucket: 60_000, functions: [.min, .max])
        let longest = -2.2250738585072014e-308  // 24 characters
        let starts = (0..<1_440).map { Int64($0) * 60_000 }
        let table = AggregateTable(
            keys: q.keys, functions: q.functions, starts: starts,
            values: Array(repeating: longest, count: starts.count * 4))
        let body = AggregateResponse(device: 1, query: q).body(table)
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: Any])
        let buckets = try #require(json["buckets"] as? [[String: Any]])
        #expect(buckets.count == 1_440)
        let last = try #require(buckets.last?["values"] as? [String: [String: Double]])
        #expect(last["k2"]?["max"] == longest)
    }
}
