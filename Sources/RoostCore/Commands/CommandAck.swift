public import RoostJSON

/// A device's answer to a command: `{"id","status":"ok"|"error","result"?}` on its ack topic,
/// or an MQTT 5 response whose correlation data is the id.
public struct CommandAck: Sendable, Hashable {
    public var id: String
    /// `true` for `ok`, `false` for `error`.
    public var succeeded: Bool
    /// What the device reported: `result`, else the payload's other members; nil when none.
    public var result: JSONValue?

    public init(id: String, succeeded: Bool, result: JSONValue? = nil) {
        self.id = id
        self.succeeded = succeeded
        self.result = result
    }

    /// Reads an answer; nil when it names no command or its status is not one of `ok`,
    /// `success`, `succeeded`, `error`, `failed`. A response with correlation data and no
    /// status counts as `ok`; an empty or non-JSON response payload is allowed then.
    public static func parse(_ payload: some Collection<UInt8>, correlation: String?) -> CommandAck? {
        let json = try? JSONParser.parse(payload)
        var members: [JSONMember] = []
        if case .object(let m)? = json { members = m }
        var id = correlation
        if case .string(let text)? = json?["id"], !text.isEmpty { id = text }
        guard let id else { return nil }
        let succeeded: Bool
        switch json?["status"] {
        case .string(let status)?:
            switch status.lowercased() {
            case "ok", "success", "succeeded": succeeded = true
            case "error", "failed", "failure": succeeded = false
            default: return nil
            }
        case .bool(let flag)?: succeeded = flag
        case nil where correlation != nil: succeeded = true
        default: return nil
        }
        var result: JSONValue? = json?["result"]
        if result == nil {
            let rest = members.filter { $0.key != "id" && $0.key != "status" }
            if !rest.isEmpty { result = .object(rest) }
        }
        return CommandAck(id: id, succeeded: succeeded, result: result)
    }
}
