import RoostCore
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
}
