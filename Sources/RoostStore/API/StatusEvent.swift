/// One online/offline transition of a device.
public struct StatusEvent: Sendable, Hashable {
    public var id: Int64
    public var online: Bool
    public var at: Int64
    public var reason: String
    public var document: String?

    public init(id: Int64, online: Bool, at: Int64, reason: String, document: String?) {
        self.id = id
        self.online = online
        self.at = at
        self.reason = reason
        self.document = document
    }
}
