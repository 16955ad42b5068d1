import RoostServer
import Testing

@Suite("TOML config files")
struct TOMLSubsetTests {
    @Test("tables, dotted and quoted keys, every value kind, comments")
    func values() throws {
        let text = """
            # Roost
            mqtt_port = 1883          # a comment after a value
            acl_file = "/etc/roost/acl#not-a-comment"
            bind = '127.0.0.1'
            ratio = 0.5
            big = 1_000_000
            hex = 0xff
            octal = 0o17
            binary = 0b101
            negative = -42
            exponent = 1e3
            on = true
            off = false
            presets = ["default", "user-feeds"]
            multi = [
              1,
              2,   # trailing comma next
            ]
            empty = []
            mqtt.max_inflight = 10
            "quoted key" = "v"

            [mqtt]
            max_connections = 50000

            [sqlite.tuning]
            synchronous = "full"
            escaped = "tab\\tquote\\"backslash\\\\ unicode \\u00e9 \\U0001F426"
            """
        let parsed = try TOMLSubset.parse(text)
        #expect(
            parsed == [
                "mqtt_port": "1883", "acl_file": "/etc/roost/acl#not-a-comment", "bind": "127.0.0.1", "ratio": "0.5",
                "big": "1000000", "hex": "255", "octal": "15", "binary": "5", "negative": "-42", "exponent": "1e3",
                "on": "true", "off": "false", "presets": "default,user-feeds", "multi": "1,2", "empty": "",
                "mqtt.max_inflight": "10", "quoted key": "v", "mqtt.max_connections": "50000",
                "sqlite.tuning.synchronous": "full",
                "sqlite.tuning.escaped": "tab\tquote\"backslash\\ unicode é 🐦",
            ])
    }

    @Test("an empty file, blank lines and CRLF line ends")
    func blanks() throws {
        #expect(try TOMLSubset.parse("") == [:])
        #expect(try TOMLSubset.parse("\n\n# only a comment\n") == [:])
        #expect(try TOMLSubset.parse("a = 1\r\n[s]\r\nb = \"x\"\r\n") == ["a": "1", "s.b": "x"])
    }

    @Test(
        "what is not TOML, or not supported, is refused with its line",
        arguments: [
            ("log_level = info", "config line 1: 'info' is not a value: quote strings"),
            ("a = 1\nb = \"open", "config line 2: unterminated string"),
            ("a = 1\na = 2", "config line 2: key a is set twice"),
            ("[s]\n[s]", "config line 2: table [s] is defined twice"),
            ("a = ", "config line 1: missing value"),
            ("just words", "config line 1: expected key = value"),
            ("a = 1 2", "config line 1: unexpected text after the value"),
            ("[s", "config line 1: bad table header"),
            ("[[servers]]", "config line 1: arrays of tables"),
            ("t = {a = 1}", "config line 1: inline tables are not supported"),
            ("s = \"\"\"x\"\"\"", "config line 1: multi-line strings are not supported"),
            ("a = [1, 2", "config line 1: unterminated array"),
            ("a = [1 2]", "config line 1: expected , or ] in the array"),
            ("a = 007", "config line 1: '007' is not a value"),
            ("a = 1__0", "config line 1: '1__0' is not a value"),
            ("d = 2026-12-03", "config line 1: dates are not supported"),
            ("e = \"\\q\"", "config line 1: unknown escape"),
        ])
    func errors(_ text: String, _ message: String) {
        #expect {
            try TOMLSubset.parse(text)
        } throws: { error in
            (error as? SettingsError)?.description.hasPrefix(message) == true
        }
    }
}
