import RoostCore
import RoostJSON
import Testing

@Suite("Payload normalisation")
struct PayloadTests {
    static func bytes(_ s: String) -> [UInt8] { Array(s.utf8) }

    @Test("seed 000: msg_id, ts in seconds and a data object")
    func seed000() throws {
        let p = try PayloadNormalizer.telemetry(
            Self.bytes(#"{"msg_id": "0007", "ts": 1700000000, "data": {"temp": 21.37}}"#))
        #expect(p.msgID == "0007")
        #expect(p.deviceTime == 1_700_000_000_000)
        #expect(p.fields == [JSONMember("temp", .number(21.37))])
        #expect(p.numeric.map(\.key) == ["temp"])
    }

    @Test("seed 001: a flat object with a nested one flattens to dotted keys")
    func seed001() throws {
        let p = try PayloadNormalizer.telemetry(
            Self.bytes(
                #"{"battery": 13.5, "solar_v": "21.2", "extra": {"temp": 32.5, "vibration": 0.01}, "mode": "auto", "ok": true}"#
            ))
        #expect(p.msgID == nil && p.deviceTime == nil)
        #expect(p.fields.map(\.key) == ["battery", "solar_v", "extra.temp", "extra.vibration", "mode", "ok"])
        #expect(p.fields[1].value == .number(21.2), "numeric strings become numbers")
        #expect(p.numeric.map(\.key) == ["battery", "solar_v", "extra.temp", "extra.vibration", "ok"])
    }

    @Test("seed 002: a feed topic with {\"value\": \"25.5\"} or a bare number")
    func seed002() throws {
        let a = try PayloadNormalizer.telemetry(Self.bytes(#"{"value": "25.5"}"#), feed: "temperature")
        #expect(a.fields == [JSONMember("temperature", .number(25.5))])
        let b = try PayloadNormalizer.telemetry(Self.bytes("42"), feed: "humidity")
        #expect(b.numeric.first?.value == 42)
        #expect(throws: PayloadError.noNumericValue(feed: "x")) {
            try PayloadNormalizer.telemetry(Self.bytes(#"{"value": "warm"}"#), feed: "x")
        }
    }

    @Test(
        "device timestamps: seconds, milliseconds, numeric strings, ISO 8601",
        arguments: [
            ("1700000000", Int64(1_700_000_000_000)),
            ("1700000000123", 1_700_000_000_123),
            ("1700000000.5", 1_700_000_000_500),
            ("\"1700000000\"", 1_700_000_000_000),
            ("\"2023-11-14T22:13:20Z\"", 1_700_000_000_000),
            ("\"2023-11-14T22:13:20.250Z\"", 1_700_000_000_250),
            ("\"2023-11-14T23:13:20+01:00\"", 1_700_000_000_000),
        ])
    func timestamps(_ ts: String, _ expected: Int64) throws {
        let p = try PayloadNormalizer.telemetry(Self.bytes("{\"ts\": \(ts), \"v\": 1}"))
        #expect(p.deviceTime == expected)
    }

    @Test(
        "bad payloads are refused with a reason code",
        arguments: [
            ("not json", "not_json"), ("[1,2]", "not_object"), ("{\"msg_id\": \"x\"}", "no_fields"),
            ("\"text\"", "not_object"),
        ])
    func bad(_ text: String, _ code: String) {
        do {
            _ = try PayloadNormalizer.telemetry(Self.bytes(text))
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.code == code)
        }
    }

    @Test("oversize payloads are refused before parsing")
    func tooLarge() {
        #expect(throws: PayloadError.tooLarge(size: 11, limit: 10)) {
            try PayloadNormalizer.telemetry(Self.bytes("{\"a\":12345}"), limit: 10)
        }
    }

    @Test(
        "status payloads",
        arguments: [
            (#"{"status": "offline"}"#, false, "offline" as String?),
            (#"{"status": "Running", "energy": 150.5}"#, true, "Running"),
            (#"{"online": true, "ts": 1700000000}"#, true, nil),
            (#"{"online": false}"#, false, nil),
            ("offline", false, "offline"),
            ("online", true, "online"),
        ])
    func status(_ text: String, _ online: Bool, _ status: String?) {
        let s = StatusPayload.parse(Self.bytes(text))
        #expect(s.online == online && s.status == status)
    }
}
