import RoostCore
import RoostJSON

/// A message a realtime client sends:
///
/// - `{"type":"auth","token":"…"}` (first, when the URL had no token);
/// - `{"type":"subscribe","devices":[ref…],"tenant":true|"name","labels":{…},"kinds":[…],"id"?}`;
/// - `{"type":"unsubscribe", the same fields, or "all":true}`;
/// - `{"type":"ping","id"?}`.
enum RealtimeRequest: Equatable {
    case auth(token: String)
    case subscribe(Subscribe)
    case unsubscribe(Subscribe)
    case ping(id: JSONValue?)

    /// What a subscribe or unsubscribe names; fields left out name nothing.
    struct Subscribe: Equatable {
        var devices: [String] = []
        /// `true`: the caller's tenant (every tenant for a platform admin); a name: that tenant.
        var tenant: TenantChoice?
        var labels: [(key: String, value: String)] = []
        var kinds: Set<RealtimeKind> = Set(RealtimeKind.allCases)
        var all = false
        /// Echoed in the answer, so a client can match answers to requests.
        var id: JSONValue?

        static func == (a: Subscribe, b: Subscribe) -> Bool {
            a.devices == b.devices && a.tenant == b.tenant && a.kinds == b.kinds && a.all == b.all && a.id == b.id
                && a.labels.map(\.key) == b.labels.map(\.key) && a.labels.map(\.value) == b.labels.map(\.value)
        }
    }

    enum TenantChoice: Equatable {
        case own
        case named(String)
    }

    /// Why a message was not understood.
    struct Invalid: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    static func parse(_ text: String) throws -> RealtimeRequest {
        guard let json = try? JSONParser.parse(text), case .object = json else {
            throw Invalid("send a JSON object with a \"type\"")
        }
        guard case .string(let type)? = json["type"] else { throw Invalid("the message has no \"type\"") }
        switch type {
        case "auth":
            guard case .string(let token)? = json["token"], !token.isEmpty else { throw Invalid("auth needs a token") }
            return .auth(token: token)
        case "ping":
            return .ping(id: json["id"])
        case "subscribe", "unsubscribe":
            var s = Subscribe()
            s.id = json["id"]
            switch json["devices"] {
            case nil, .null?: break
            case .array(let refs)?:
                s.devices = try refs.map { ref in
                    switch ref {
                    case .string(let text) where !text.isEmpty: return text
                    case .number(let n) where n == n.rounded(): return String(Int64(n))
                    default: throw Invalid("devices holds device ids or uids")
                    }
                }
            default: throw Invalid("devices must be an array of device ids or uids")
            }
            switch json["tenant"] {
            case nil, .null?, .bool(false)?: break
            case .bool(true)?: s.tenant = .own
            case .string(let name)?: s.tenant = .named(name)
            default: throw Invalid("tenant must be true or a tenant name")
            }
            switch json["labels"] {
            case nil, .null?: break
            case .object(let members)?:
                s.labels = try members.map { member in
                    guard case .string(let value) = member.value else { throw Invalid("label values are strings") }
                    return (member.key, value)
                }
            default: throw Invalid("labels must be an object of strings")
            }
            switch json["kinds"] {
            case nil, .null?: break
            case .array(let names)?:
                s.kinds = try Set(
                    names.map { name in
                        guard case .string(let text) = name, let kind = RealtimeKind(rawValue: text) else {
                            throw Invalid(
                                "kinds are \(RealtimeKind.allCases.map(\.rawValue).joined(separator: ", "))")
                        }
                        return kind
                    })
            default: throw Invalid("kinds must be an array")
            }
            if case .bool(true)? = json["all"] { s.all = true }
            if type == "subscribe" && s.devices.isEmpty && s.tenant == nil && s.labels.isEmpty {
                throw Invalid("subscribe to devices, labels or tenant")
            }
            return type == "subscribe" ? .subscribe(s) : .unsubscribe(s)
        default:
            throw Invalid("unknown type \"\(type)\": auth, subscribe, unsubscribe or ping")
        }
    }

    /// `{"type":"error","code","message"}`.
    static func error(_ code: String, _ message: String) -> String {
        "{\"type\":\"error\",\"code\":" + JSONValue.string(code).jsonText + ",\"message\":"
            + JSONValue.string(message).jsonText + "}"
    }

    /// `,"id":…` when the request had an id.
    static func idField(_ id: JSONValue?) -> String {
        guard let id else { return "" }
        return ",\"id\":" + id.jsonText
    }
}
