import Foundation
import Testing

@testable import RoostAPI

@Suite("API: time format")
struct APITimeTests {
    @Test("the hand-written RFC 3339 formatter agrees with Foundation, and parsing round-trips")
    func agreesWithFoundation() {
        var samples: [Int64] = [0, -1, 1, 951_782_400_000, 4_107_542_399_999, -62_135_596_800_000, 253_402_300_799_999]
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<2000 { samples.append(Int64.random(in: APITime.range, using: &rng)) }
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        for ms in samples {
            let ours = APITime.rfc3339(ms)
            let date = Date(timeIntervalSince1970: Double(ms) / 1000)
            // Foundation's fractional seconds go through a Double (off by 1 ms far from 1970):
            // compare the seconds, and the milliseconds as integers.
            if ms >= 0 && ms < 7_258_118_400_000 {
                #expect(ours.prefix(19) == date.formatted(style).prefix(19), "\(ms)")
                #expect(Int(ours.dropFirst(20).prefix(3)) == Int(ms % 1000), "\(ms)")
            }
            // Foundation parses dates before 1582-10-15 in the Julian calendar; RFC 3339 is Gregorian.
            if ms >= -12_219_292_800_000 { #expect(APITime.parse(ours) == ms, "\(ms) -> \(ours)") }
        }
        // One formatter over times in and out of order (it keeps the last day's text).
        var formatter = APITime.Formatter()
        var text = [UInt8](repeating: 0, count: 24)
        for ms in samples + samples.sorted() + [86_399_999, 86_400_000, 86_399_999, -86_400_001] {
            text.withUnsafeMutableBufferPointer { formatter.write(ms, to: $0.baseAddress!) }
            #expect(String(decoding: text, as: UTF8.self) == APITime.rfc3339(ms), "\(ms)")
        }
        #expect(APITime.rfc3339(0) == "1970-01-01T00:00:00.000Z")
        #expect(APITime.rfc3339(-1) == "1969-12-31T23:59:59.999Z")
        #expect(APITime.parse("1700000000000") == 1_700_000_000_000)
        #expect(APITime.parse("2023-11-14T22:13:20Z") == 1_700_000_000_000)
        #expect(APITime.parse("soon") == nil)
    }
}
