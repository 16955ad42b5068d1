import Foundation

/// Resolves settings from, in order of precedence: command-line flags, `ROOST_*` environment
/// variables, the config file (`--config`, TOML or JSON), then defaults.
///
/// Keys are lower-case with underscores; a section in the file prefixes its keys with
/// `section.` (`[mqtt] max_connections` is `mqtt.max_connections`). The environment variable
/// of a key is `ROOST_` plus the key upper-cased with dots as underscores
/// (`ROOST_MQTT_MAX_CONNECTIONS`).
struct Settings {
    private var values: [String: String] = [:]

    init(configFile: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        if let configFile {
            let text = try String(contentsOfFile: configFile, encoding: .utf8)
            let parsed = configFile.hasSuffix(".json") ? try Self.parseJSON(text) : try TOMLSubset.parse(text)
            for (key, value) in parsed { values[Self.normalize(key)] = value }
        }
        for (name, value) in environment where name.hasPrefix("ROOST_") {
            values["env:" + String(name.dropFirst(6)).lowercased()] = value
        }
    }

    static func normalize(_ key: String) -> String {
        key.lowercased().replacingOccurrences(of: "-", with: "_")
    }

    /// The value of `key`: `flag` if given, else the environment, else the file.
    func string(_ key: String, flag: String? = nil) -> String? {
        if let flag { return flag }
        let envKey = "env:" + key.replacingOccurrences(of: ".", with: "_")
        return values[envKey] ?? values[key]
    }

    func int(_ key: String, flag: Int? = nil) throws -> Int? {
        if let flag { return flag }
        guard let s = string(key) else { return nil }
        guard let v = Int(s) else { throw SettingsError("\(key) must be an integer, got '\(s)'") }
        return v
    }

    func double(_ key: String) throws -> Double? {
        guard let s = string(key) else { return nil }
        guard let v = Double(s) else { throw SettingsError("\(key) must be a number, got '\(s)'") }
        return v
    }

    func bool(_ key: String) throws -> Bool? {
        guard let s = string(key)?.lowercased() else { return nil }
        switch s {
        case "true", "1", "yes", "on": return true
        case "false", "0", "no", "off": return false
        default: throw SettingsError("\(key) must be true or false, got '\(s)'")
        }
    }

    private static func parseJSON(_ text: String) throws -> [String: String] {
        guard let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw SettingsError("config file must hold a JSON object")
        }
        var result: [String: String] = [:]
        func flatten(_ prefix: String, _ value: Any) {
            switch value {
            case let dict as [String: Any]:
                for (k, v) in dict { flatten(prefix.isEmpty ? k : prefix + "." + k, v) }
            case let array as [Any]:
                result[prefix] = array.map { "\($0)" }.joined(separator: ",")
            case let flag as Bool where type(of: value) == Bool.self:
                result[prefix] = flag ? "true" : "false"
            case let number as NSNumber:
                result[prefix] = number.stringValue
            default:
                result[prefix] = "\(value)"
            }
        }
        flatten("", object)
        return result
    }
}

/// A configuration mistake, reported before anything starts.
struct SettingsError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The part of TOML a config file needs: `[section]`, `key = value` with strings, numbers,
/// booleans and arrays of those, and `#` comments.
enum TOMLSubset {
    static func parse(_ text: String) throws -> [String: String] {
        var result: [String: String] = [:]
        var section = ""
        for (number, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = stripComment(String(raw)).trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("[") {
                guard line.hasSuffix("]") else { throw SettingsError("config line \(number + 1): bad section header") }
                section = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                continue
            }
            guard let eq = line.firstIndex(of: "=") else {
                throw SettingsError("config line \(number + 1): expected key = value")
            }
            let key = line[..<eq].trimmingCharacters(in: .whitespaces)
            let value = try parseValue(
                line[line.index(after: eq)...].trimmingCharacters(in: .whitespaces), line: number + 1)
            result[section.isEmpty ? key : section + "." + key] = value
        }
        return result
    }

    private static func stripComment(_ line: String) -> String {
        var inString = false
        for (i, c) in line.enumerated() {
            if c == "\"" { inString.toggle() }
            if c == "#" && !inString { return String(line.prefix(i)) }
        }
        return line
    }

    private static func parseValue(_ v: String, line: Int) throws -> String {
        if v.hasPrefix("\"") {
            guard v.count >= 2, v.hasSuffix("\"") else {
                throw SettingsError("config line \(line): unterminated string")
            }
            return String(v.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"")
        }
        if v.hasPrefix("[") {
            guard v.hasSuffix("]") else { throw SettingsError("config line \(line): unterminated array") }
            return try v.dropFirst().dropLast().split(separator: ",")
                .map { try parseValue($0.trimmingCharacters(in: .whitespaces), line: line) }
                .joined(separator: ",")
        }
        guard !v.isEmpty else { throw SettingsError("config line \(line): missing value") }
        return v
    }
}
