/// What a realtime event is about; a subscription names the kinds it wants.
public enum RealtimeKind: String, Sendable, Hashable, CaseIterable, Codable {
    case telemetry, status, command, alert, shadow
}

/// One event for live viewers: which device it concerns and the message sent to their
/// sockets, rendered once however many sockets receive it.
public struct RealtimeEvent: Sendable, Hashable {
    public var kind: RealtimeKind
    /// The tenant's name, as topics name it.
    public var tenant: String
    /// The device's row id.
    public var device: Int64
    /// The message, a JSON object with `"type"` (the kind), `device`, `uid` and `tenant`.
    public var json: String

    public init(kind: RealtimeKind, tenant: String, device: Int64, json: String) {
        self.kind = kind
        self.tenant = tenant
        self.device = device
        self.json = json
    }
}
