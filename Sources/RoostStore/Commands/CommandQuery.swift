/// A page of one device's commands, newest first.
public struct CommandQuery: Sendable, Hashable {
    public var deviceID: Int64
    /// Only commands in this status.
    public var status: CommandStatus?
    /// Only commands older than this `seq` (the previous page's last).
    public var beforeSeq: Int64?
    public var limit: Int

    public init(deviceID: Int64, status: CommandStatus? = nil, beforeSeq: Int64? = nil, limit: Int = 100) {
        self.deviceID = deviceID
        self.status = status
        self.beforeSeq = beforeSeq
        self.limit = limit
    }
}

/// A conditional step of a command's life: applied only while the command is in one of `from`,
/// so that two nodes, or a late acknowledgement and the expiry, never both move it.
public struct CommandTransition: Sendable, Hashable {
    public var id: String
    public var from: Set<CommandStatus>
    public var to: CommandStatus
    public var at: Int64
    /// The device's answer, kept with a final status.
    public var result: String?

    public init(id: String, from: Set<CommandStatus>, to: CommandStatus, at: Int64, result: String? = nil) {
        self.id = id
        self.from = from
        self.to = to
        self.at = at
        self.result = result
    }
}
