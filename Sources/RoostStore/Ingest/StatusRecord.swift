/// A device going online or offline, or reporting a new status document.
public struct StatusRecord: Sendable, Hashable {
    public var device: Int64
    public var online: Bool
    /// Epoch milliseconds.
    public var at: Int64
    /// Why: `connect`, `disconnect`, `keepalive`, `will`, `status_topic`, …
    public var reason: String
    /// The status payload as JSON, when it came from a status topic.
    public var document: String?

    public init(device: Int64, online: Bool, at: Int64, reason: String, document: String? = nil) {
        self.device = device
        self.online = online
        self.at = at
        self.reason = reason
        self.document = document
    }
}
