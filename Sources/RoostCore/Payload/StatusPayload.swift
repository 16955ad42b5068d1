public import RoostJSON

/// A status message: whether the device says it is online, and what else it reported.
public struct StatusPayload: Sendable, Hashable {
    /// `false` for `{"status": "offline"}` (seed 001's Last Will) or `{"online": false}`.
    public var online: Bool
    /// The `status` text, if any (`"Running"`, `"offline"`…).
    public var status: String?
    /// The whole payload, kept as the device's latest status.
    public var document: JSONValue

    /// Reads a status payload. Anything that is not a JSON object counts as an online status
    /// whose text is the payload (`online`, `1`, …), except the words `offline`, `0` and `false`.
    public static func parse(_ bytes: some Collection<UInt8>) -> StatusPayload {
        if let json = try? JSONParser.parse(bytes), case .object = json {
            let status: String? = {
                if case .string(let s)? = json["status"] { return s }
                return nil
            }()
            var online = status.map { $0.lowercased() != "offline" } ?? true
            if case .bool(let flag)? = json["online"] { online = flag }
            return StatusPayload(online: online, status: status, document: json)
        }
        let text = String(decoding: Array(bytes), as: UTF8.self).trimmingSpaces().lowercased()
        let offline = text == "offline" || text == "0" || text == "false" || text == "\"offline\""
        return StatusPayload(
            online: !offline, status: text.isEmpty ? nil : String(text), document: .string(String(text)))
    }
}
