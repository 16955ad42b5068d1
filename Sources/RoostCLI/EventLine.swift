import Foundation

/// One realtime event as a line for people: time, kind, `tenant/uid`, then what happened,
/// in aligned columns, the kind coloured on a terminal.
enum EventLine {
    static func render(_ event: [String: Any]) -> String? {
        guard let type = event["type"] as? String else { return nil }
        let device = "\(event["tenant"] as? String ?? "?")/\(event["uid"] as? String ?? "?")"
        let detail: String
        switch type {
        case "telemetry":
            detail = fields(event["data"])
        case "status":
            detail = "\(event["status"] as? String ?? "?")" + ((event["reason"] as? String).map { " (\($0))" } ?? "")
        case "command":
            let params = (event["params"] as? [String: Any]).map { " " + fields($0) } ?? ""
            let result = event["result"].flatMap { $0 is NSNull ? nil : " → " + compact($0) } ?? ""
            detail =
                "\(event["command"] as? String ?? "?")\(params) \(event["status"] as? String ?? "?")"
                + " [\(event["id"] as? String ?? "?")]\(result)"
        case "alert":
            let rule = event["rule_name"] as? String ?? "alert"
            let value = (event["value"] as? NSNumber).map { " value \($0)" } ?? ""
            detail = "\(rule) \(event["event"] as? String ?? "") → \(event["state"] as? String ?? "?")\(value)"
        case "shadow":
            detail = "delta " + compact(event["delta"] ?? [:]) + " version \(event["version"] ?? "?")"
        default:
            return nil
        }
        let stamp = ["ts", "at", "updated_at", "resolved_at", "acknowledged_at", "opened_at"].lazy.compactMap {
            event[$0] as? String
        }.first
        let time = clock(stamp)
        let kind = Terminal.paint(type.padding(toLength: 9, withPad: " ", startingAt: 0), colour(type))
        return "\(time)  \(kind)  \(device.padding(toLength: max(24, device.count), withPad: " ", startingAt: 0))  \(detail)"
    }

    /// `k=v k=v` of a JSON object, keys sorted.
    static func fields(_ value: Any?) -> String {
        guard let object = value as? [String: Any] else { return value.map(compact) ?? "" }
        return object.keys.sorted().map { "\($0)=\(compact(object[$0]!))" }.joined(separator: " ")
    }

    /// JSON text of a value (strings bare).
    static func compact(_ value: Any) -> String {
        if let text = value as? String { return text }
        if let number = value as? NSNumber { return "\(number)" }
        if value is NSNull { return "null" }
        guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed])
        else { return "\(value)" }
        return String(decoding: data, as: UTF8.self)
    }

    /// `HH:MM:SS.mmm` of an RFC 3339 time (local display is the terminal's business: UTC as sent).
    static func clock(_ text: String?) -> String {
        guard let text, let t = text.firstIndex(of: "T") else { return "--:--:--.---" }
        let rest = text[text.index(after: t)...]
        let time = rest.prefix { $0 != "Z" && $0 != "+" }
        return String(time.padding(toLength: 12, withPad: "0", startingAt: 0).prefix(12))
    }

    static func colour(_ type: String) -> Int {
        switch type {
        case "telemetry": return 36
        case "status": return 33
        case "command": return 35
        case "alert": return 31
        default: return 32
        }
    }
}
