/// A command to a device as stored: what was asked, and where it is in its life.
public struct CommandRecord: Sendable, Hashable {
    /// Public id, a lowercase UUID (the device echoes it in its answer).
    public var id: String
    /// Insertion order, the cursor of command lists.
    public var seq: Int64
    public var deviceID: Int64
    public var tenantID: Int64
    /// The tenant's name, as topics name it.
    public var tenant: String
    public var uid: String
    public var command: String
    /// A JSON object.
    public var params: String
    public var status: CommandStatus
    /// What the device answered (JSON), if anything.
    public var result: String?
    /// Who asked: `user:ID`, `key:PREFIX`, `schedule:ID`.
    public var createdBy: String?
    public var createdAt: Int64
    public var updatedAt: Int64
    public var sentAt: Int64?
    public var deliveredAt: Int64?
    public var completedAt: Int64?
    /// When it expires unless it has finished.
    public var expiresAt: Int64

    public init(
        id: String, seq: Int64, deviceID: Int64, tenantID: Int64, tenant: String, uid: String, command: String,
        params: String, status: CommandStatus, result: String?, createdBy: String?, createdAt: Int64, updatedAt: Int64,
        sentAt: Int64?, deliveredAt: Int64?, completedAt: Int64?, expiresAt: Int64
    ) {
        self.id = id
        self.seq = seq
        self.deviceID = deviceID
        self.tenantID = tenantID
        self.tenant = tenant
        self.uid = uid
        self.command = command
        self.params = params
        self.status = status
        self.result = result
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.sentAt = sentAt
        self.deliveredAt = deliveredAt
        self.completedAt = completedAt
        self.expiresAt = expiresAt
    }
}

/// A command to store, queued.
public struct NewCommand: Sendable, Hashable {
    public var id: String
    public var deviceID: Int64
    public var command: String
    /// A JSON object.
    public var params: String
    public var createdBy: String?
    public var createdAt: Int64
    public var expiresAt: Int64

    public init(
        id: String, deviceID: Int64, command: String, params: String, createdBy: String?, createdAt: Int64,
        expiresAt: Int64
    ) {
        self.id = id
        self.deviceID = deviceID
        self.command = command
        self.params = params
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }
}
