import RoostCore
import RoostJSON
import Testing

@Suite("JSON parser")
struct JSONParserTests {
    @Test(
        "valid documents",
        arguments: [
            ("{}", JSONValue.object([])),
            ("[]", .array([])),
            (" 12.5e1 ", .number(125)),
            ("-0", .number(0)),
            ("\"a\\\"b\\\\c\\/\\n\"", .string("a\"b\\c/\n")),
            ("\"\\u00e9\\ud83d\\ude00\"", .string("é😀")),
            ("\"héllo\"", .string("héllo")),
            ("[true,false,null]", .array([.bool(true), .bool(false), .null])),
            (
                "{\"a\":{\"b\":[1,{\"c\":\"d\"}]}}",
                .object([
                    JSONMember(
                        "a", .object([JSONMember("b", .array([.number(1), .object([JSONMember("c", .string("d"))])]))]))
                ])
            ),
        ])
    func valid(_ text: String, _ expected: JSONValue) throws {
        #expect(try JSONParser.parse(text) == expected)
    }

    @Test(
        "invalid documents are refused",
        arguments: [
            "", "{", "[1,]", "{\"a\":}", "{\"a\" 1}", "01", "1.", "1e", "+1", "tru", "nul", "\"abc", "\"\\x\"",
            "\"\\ud83d\"", "{} {}", "[1 2]", "{'a':1}", "NaN", "1e999", "\"a\u{01}b\"",
        ])
    func invalid(_ text: String) {
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(text) }
    }

    @Test("invalid UTF-8 inside a string is refused")
    func invalidUTF8() {
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test("nesting past the limit is refused, not a crash")
    func depth() throws {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        #expect(throws: JSONParser.Error.self) { try JSONParser.parse(deep) }
        let ok = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        _ = try JSONParser.parse(ok)
    }

    @Test("compact text round-trips")
    func roundTrip() throws {
        let text = "{\"a\":1,\"b\":[true,null,\"x\\\"y\"],\"c\":2.5}"
        #expect(try JSONParser.parse(text).jsonText == text)
    }

    @Test("numbers read without the general parser equal Swift's correctly rounded Double(text)")
    func exactNumbers() throws {
        var rng = SystemRandomNumberGenerator()
        var samples = [
            "0", "-0", "0.1", "21.5", "-40.25", "999999999999999", "0.000000000000001", "123456.789012345",
            "1795725599885123456", "-999999999999999999", "9007199254740993",
        ]
        for _ in 0..<20_000 {
            let digits = Int.random(in: 1...20, using: &rng)
            var text = String((0..<digits).map { _ in Character(String(Int.random(in: 0...9, using: &rng))) })
            while text.count > 1 && text.hasPrefix("0") { text.removeFirst() }
            if text.count > 1 && Bool.random(using: &rng) {
                let cut = text.index(text.startIndex, offsetBy: Int.random(in: 1..<text.count, using: &rng))
                text.insert(".", at: cut)
            }
            samples.append(Bool.random(using: &rng) ? "-" + text : text)
        }
        for text in samples {
            let parsed = try JSONParser.parse(text)
            #expect(parsed == .number(try #require(Double(text))), "\(text)")
            #expect(String(describing: parsed.numberValue?.sign) == String(describing: Double(text)?.sign), "\(text)")
        }
    }
}
