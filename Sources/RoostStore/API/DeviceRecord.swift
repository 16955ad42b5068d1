/// A device with its state, as the API shows it.
public struct DeviceRecord: Sendable, Hashable {
    public var id: Int64
    public var tenantID: Int64
    public var tenant: String
    public var uid: String
    public var name: String?
    /// A JSON object of string values.
    public var labels: String
    /// `online`, `offline` or `unknown`.
    public var status: String
    public var statusAt: Int64?
    public var lastSeen: Int64?
    /// The newest value of every key, as a JSON object.
    public var latest: String
    public var latestTS: Int64?
    public var createdAt: Int64

    public init(
        id: Int64, tenantID: Int64, tenant: String, uid: String, name: String?, labels: String, status: String,
        statusAt: Int64?,
        lastSeen: Int64?, latest: String, latestTS: Int64?, createdAt: Int64
    ) {
        self.id = id
        self.tenantID = tenantID
        self.tenant = tenant
        self.uid = uid
        self.name = name
        self.labels = labels
        self.status = status
        self.statusAt = statusAt
        self.lastSeen = lastSeen
        self.latest = latest
        self.latestTS = latestTS
        self.createdAt = createdAt
    }
}
