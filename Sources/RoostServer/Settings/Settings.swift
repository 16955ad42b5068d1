public import Foundation

/// Resolves settings from, in order of precedence: command-line flags, `ROOST_*` environment
/// variables, the config file (`--config`, TOML or JSON), then defaults.
///
/// Keys are lower-case with underscores; a section in the file prefixes its keys with
/// `section.` (`[mqtt] max_connections` is `mqtt.max_connections`). The environment variable
/// of a key is `ROOST_` plus the key upper-cased with dots as underscores
/// (`ROOST_MQTT_MAX_CONNECTIONS`).
public struct Settings: Sendable {
    private var values: [String: String] = [:]

    /// Reads the config file (if any) and the `ROOST_*` variables of `environment`.
    public init(configFile: String?, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        if let configFile {
            let text: String
            do {
                text = try String(contentsOfFile: configFile, encoding: .utf8)
            } catch {
                throw SettingsError("cannot read the config file \(configFile): \(error.localizedDescription)")
            }
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
    public func string(_ key: String, flag: String? = nil) -> String? {
        if let flag { return flag }
        let envKey = "env:" + key.replacingOccurrences(of: ".", with: "_")
        return values[envKey] ?? values[key]
    }

    /// The keys of the config file under `prefix.` (a table such as
    /// `[presence.tenant_inactivity_timeout]`), without the prefix.
    public func keys(under prefix: String) -> [String] {
        values.keys.filter { !$0.hasPrefix("env:") && $0.hasPrefix(prefix + ".") }
            .map { String($0.dropFirst(prefix.count + 1)) }.sorted()
    }

    /// An integer setting; a value that is not one is an error.
    public func int(_ key: String, flag: Int? = nil) throws -> Int? {
        if let flag { return flag }
        guard let s = string(key) else { return nil }
        guard let v = Int(s) else { throw SettingsError("\(key) must be an integer, got '\(s)'") }
        return v
    }

    /// A number setting.
    public func double(_ key: String) throws -> Double? {
        guard let s = string(key) else { return nil }
        guard let v = Double(s) else { throw SettingsError("\(key) must be a number, got '\(s)'") }
        return v
    }

    /// A boolean setting: true/false, 1/0, yes/no, on/off.
    public func bool(_ key: String) throws -> Bool? {
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
