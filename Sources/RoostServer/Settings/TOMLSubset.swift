/// The part of TOML (v1.0) a Roost config file needs, read into flat `section.key` → text
/// pairs: `[section]` and `[section.sub]` tables, bare, quoted and dotted keys, basic strings
/// with their escapes, literal strings, integers (with `_`, `0x`/`0o`/`0b`), floats, booleans,
/// arrays of those (over several lines, with a trailing comma), and `#` comments.
///
/// Arrays become their items joined by commas (`["a","b"]` is `a,b`). What TOML has beyond
/// that (inline tables, arrays of tables, multi-line strings, dates) is refused with the line
/// it is on, as are bare words, duplicate keys and anything left after a value.
/// TOMLKit, which would read all of TOML, needs a package this machine's mirror lacks.
public enum TOMLSubset {
    /// The pairs of `text`, or a ``SettingsError`` naming the line.
    public static func parse(_ text: String) throws(SettingsError) -> [String: String] {
        var reader = Reader(Array(text.utf8))
        return try reader.document()
    }

    struct Reader {
        let bytes: [UInt8]
        var i = 0
        var line = 1
        var table = ""
        var result: [String: String] = [:]
        var tables: Set<String> = []

        init(_ bytes: [UInt8]) { self.bytes = bytes }

        var atEnd: Bool { i >= bytes.count }
        var peek: UInt8? { atEnd ? nil : bytes[i] }

        func fail(_ why: String) -> SettingsError { SettingsError("config line \(line): \(why)") }

        mutating func document() throws(SettingsError) -> [String: String] {
            while true {
                skipBlank(newlines: true)
                guard let c = peek else { return result }
                if c == UInt8(ascii: "[") {
                    try header()
                } else {
                    try keyValue()
                }
                try endOfLine()
            }
        }

        /// Spaces and tabs, comments, and newlines when asked.
        mutating func skipBlank(newlines: Bool) {
            while let c = peek {
                if c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r") {
                    i += 1
                } else if c == UInt8(ascii: "#") {
                    while let d = peek, d != UInt8(ascii: "\n") { i += 1 }
                } else if c == UInt8(ascii: "\n") && newlines {
                    i += 1
                    line += 1
                } else {
                    return
                }
            }
        }

        mutating func endOfLine() throws(SettingsError) {
            skipBlank(newlines: false)
            guard let c = peek else { return }
            guard c == UInt8(ascii: "\n") else { throw fail("unexpected text after the value") }
        }

        mutating func header() throws(SettingsError) {
            i += 1
            if peek == UInt8(ascii: "[") { throw fail("arrays of tables ([[…]]) are not supported") }
            skipBlank(newlines: false)
            let name = try key().joined(separator: ".")
            skipBlank(newlines: false)
            guard peek == UInt8(ascii: "]") else { throw fail("bad table header: expected ]") }
            i += 1
            guard tables.insert(name).inserted else { throw fail("table [\(name)] is defined twice") }
            table = name
        }

        mutating func keyValue() throws(SettingsError) {
            let parts = try key()
            skipBlank(newlines: false)
            guard peek == UInt8(ascii: "=") else { throw fail("expected key = value") }
            i += 1
            skipBlank(newlines: false)
            guard peek != nil, peek != UInt8(ascii: "\n") else { throw fail("missing value") }
            let value = try self.value()
            let full = ([table].filter { !$0.isEmpty } + parts).joined(separator: ".")
            guard result.updateValue(value, forKey: full) == nil else { throw fail("key \(full) is set twice") }
        }

        /// A key: bare (`A-Za-z0-9_-`) or quoted parts joined by dots.
        mutating func key() throws(SettingsError) -> [String] {
            var parts: [String] = []
            while true {
                skipBlank(newlines: false)
                guard let c = peek else { throw fail("missing key") }
                if c == UInt8(ascii: "\"") {
                    parts.append(try basicString())
                } else if c == UInt8(ascii: "'") {
                    parts.append(try literalString())
                } else {
                    let start = i
                    while let d = peek, Self.isBareKey(d) { i += 1 }
                    guard i > start else { throw fail("expected a key") }
                    parts.append(String(decoding: bytes[start..<i], as: UTF8.self))
                }
                skipBlank(newlines: false)
                guard peek == UInt8(ascii: ".") else { return parts }
                i += 1
            }
        }

        static func isBareKey(_ c: UInt8) -> Bool {
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2D
        }

        mutating func value() throws(SettingsError) -> String {
            guard let c = peek else { throw fail("missing value") }
            switch c {
            case UInt8(ascii: "\""):
                if bytes[i...].starts(with: Array("\"\"\"".utf8)) { throw fail("multi-line strings are not supported") }
                return try basicString()
            case UInt8(ascii: "'"):
                if bytes[i...].starts(with: Array("'''".utf8)) { throw fail("multi-line strings are not supported") }
                return try literalString()
            case UInt8(ascii: "["): return try array()
            case UInt8(ascii: "{"): throw fail("inline tables are not supported: use a [section]")
            default: return try scalar()
            }
        }

        mutating func array() throws(SettingsError) -> String {
            i += 1
            var items: [String] = []
            while true {
                skipBlank(newlines: true)
                guard let c = peek else { throw fail("unterminated array") }
                if c == UInt8(ascii: "]") {
                    i += 1
                    return items.joined(separator: ",")
                }
                if c == UInt8(ascii: "[") { throw fail("nested arrays are not supported") }
                items.append(try value())
                skipBlank(newlines: true)
                guard peek != nil else { throw fail("unterminated array") }
                if peek == UInt8(ascii: ",") {
                    i += 1
                } else if peek != UInt8(ascii: "]") {
                    throw fail("expected , or ] in the array")
                }
            }
        }

        /// A number or boolean, checked and returned as written (underscores removed).
        mutating func scalar() throws(SettingsError) -> String {
            let start = i
            while let c = peek, !(c == UInt8(ascii: " ") || c == UInt8(ascii: "\t") || c == UInt8(ascii: "\r")
                || c == UInt8(ascii: "\n") || c == UInt8(ascii: "#") || c == UInt8(ascii: ",")
                || c == UInt8(ascii: "]"))
            {
                i += 1
            }
            let word = String(decoding: bytes[start..<i], as: UTF8.self)
            if word == "true" || word == "false" { return word }
            if word == "inf" || word == "+inf" || word == "-inf" || word.hasSuffix("nan") { return word }
            if let number = Self.number(word) { return number }
            if word.first?.isNumber == true && word.contains("-") && word.count >= 10 {
                throw fail("dates are not supported: quote the value")
            }
            throw fail("'\(word)' is not a value: quote strings (key = \"\(word)\")")
        }

        /// A TOML integer or float in the form Int/Double read; nil if it is none.
        static func number(_ word: String) -> String? {
            guard !word.isEmpty, !word.hasPrefix("_"), !word.hasSuffix("_"), !word.contains("__") else { return nil }
            let plain = word.replacingOccurrences(of: "_", with: "")
            for (prefix, radix) in [("0x", 16), ("0o", 8), ("0b", 2)] where plain.hasPrefix(prefix) {
                return Int(plain.dropFirst(2), radix: radix).map(String.init)
            }
            let digits = plain.hasPrefix("+") || plain.hasPrefix("-") ? plain.dropFirst() : Substring(plain)
            if digits.count > 1 && digits.hasPrefix("0") && !digits.hasPrefix("0.") && !digits.hasPrefix("0e")
                && !digits.hasPrefix("0E")
            {
                return nil  // leading zeros are not TOML
            }
            if let n = Int(plain) { return String(n) }
            guard plain.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }), !plain.hasSuffix("."),
                !plain.hasPrefix("."), Double(plain) != nil
            else { return nil }
            return plain.hasPrefix("+") ? String(plain.dropFirst()) : plain
        }

        mutating func literalString() throws(SettingsError) -> String {
            i += 1
            let start = i
            while let c = peek, c != UInt8(ascii: "'") {
                if c == UInt8(ascii: "\n") { throw fail("unterminated string") }
                i += 1
            }
            guard peek != nil else { throw fail("unterminated string") }
            defer { i += 1 }
            return String(decoding: bytes[start..<i], as: UTF8.self)
        }

        mutating func basicString() throws(SettingsError) -> String {
            i += 1
            var out: [UInt8] = []
            while true {
                guard let c = peek, c != UInt8(ascii: "\n") else { throw fail("unterminated string") }
                i += 1
                if c == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
                guard c == UInt8(ascii: "\\") else {
                    out.append(c)
                    continue
                }
                guard let e = peek else { throw fail("unterminated string") }
                i += 1
                switch e {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(e)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"), UInt8(ascii: "U"):
                    let n = e == UInt8(ascii: "u") ? 4 : 8
                    guard i + n <= bytes.count,
                        let code = UInt32(String(decoding: bytes[i..<(i + n)], as: UTF8.self), radix: 16),
                        let scalar = Unicode.Scalar(code)
                    else { throw fail("bad unicode escape") }
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    i += n
                default: throw fail("unknown escape \\\(Character(Unicode.Scalar(e)))")
                }
            }
        }
    }
}
