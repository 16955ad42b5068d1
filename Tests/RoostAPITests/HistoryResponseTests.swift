import Foundation
import NIOCore
import RoostStore
import Testing

@testable import RoostAPI

@Suite("API: history response")
struct HistoryResponseTests {
    static let points = [
        TelemetryPoint(
            id: 7, ts: 1_764_165_277_123, receivedAt: 1_764_165_278_000, msgID: "m-1",
            data: "{\"temp\":21.5,\"hum\":40}",
            payload: "{\"msg_id\":\"m-1\",\"temp\":21.5,\"hum\":40}"),
        TelemetryPoint(
            id: 8, ts: 0, receivedAt: -1, msgID: "q\"b\\s\n\t\u{01}é😀", data: "{\"note\":\"ünï\"}", payload: nil),
        TelemetryPoint(id: 9, ts: 5, receivedAt: 6, msgID: nil, data: "{}", payload: nil),
    ]

    @Test("a page holds the points it was made of")
    func roundTrip() {
        #expect(HistoryPage(points: Self.points).points == Self.points)
        #expect(HistoryPage(points: []).count == 0)
    }

    @Test("exact bytes of a point, the cursor when the page is full")
    func exact() {
        let body = HistoryResponse(keys: nil, includePayload: false).body(
            HistoryPage(points: [Self.points[0]]), limit: 1)
        #expect(
            String(buffer: body)
                == #"{"items":[{"ts":"2025-11-26T13:54:37.123Z","received_at":"2025-11-26T13:54:38.000Z","msg_id":"m-1","data":{"temp":21.5,"hum":40}}],"next_cursor":"1764165277123_7"}"#
        )
    }

    @Test("escaped ids, null ids, projected keys and payloads parse back to what was stored")
    func parses() throws {
        for (keys, payload) in [(nil, false), (["temp"], true)] as [([String]?, Bool)] {
            let body = HistoryResponse(keys: keys, includePayload: payload).body(
                HistoryPage(points: Self.points), limit: 10)
            let json = try #require(
                try JSONSerialization.jsonObject(with: Data(String(buffer: body).utf8)) as? [String: Any])
            #expect(json["next_cursor"] is NSNull)
            let items = try #require(json["items"] as? [[String: Any]])
            #expect(items.count == 3)
            #expect(items[1]["msg_id"] as? String == "q\"b\\s\n\t\u{01}é😀")
            #expect(items[1]["ts"] as? String == "1970-01-01T00:00:00.000Z")
            #expect(items[1]["received_at"] as? String == "1969-12-31T23:59:59.999Z")
            #expect(items[2]["msg_id"] is NSNull)
            let data = try #require(items[0]["data"] as? [String: Any])
            #expect(data["temp"] as? Double == 21.5)
            #expect((data["hum"] as? Int == 40) == (keys == nil))
            if keys == nil { #expect((items[1]["data"] as? [String: Any])?["note"] as? String == "ünï") }
            #expect((items[0]["payload"] as? [String: Any])?["msg_id"] as? String == (payload ? "m-1" : nil))
            #expect(payload ? items[1]["payload"] is NSNull : items[1]["payload"] == nil)
        }
    }
}
