/// Where an alert is in its life.
public enum AlertState: String, Sendable, Hashable, CaseIterable {
    case open, acknowledged, resolved
}

/// An alert: one rule breached by one device, from opening to resolution. A rule and device
/// have at most one alert that is not resolved.
public struct AlertRecord: Sendable, Hashable {
    public var id: Int64
    public var ruleID: Int64
    public var ruleName: String
    public var deviceID: Int64
    public var tenantID: Int64
    /// The tenant's name, as topics name it.
    public var tenant: String
    public var uid: String
    public var state: AlertState
    /// The value that breached (threshold rules); the seconds of silence or offline time otherwise.
    public var value: Double?
    public var openedAt: Int64
    public var acknowledgedAt: Int64?
    /// `user:ID` of who acknowledged it.
    public var acknowledgedBy: String?
    public var resolvedAt: Int64?

    public init(
        id: Int64, ruleID: Int64, ruleName: String, deviceID: Int64, tenantID: Int64, tenant: String, uid: String,
        state: AlertState, value: Double?, openedAt: Int64, acknowledgedAt: Int64?, acknowledgedBy: String?,
        resolvedAt: Int64?
    ) {
        self.id = id
        self.ruleID = ruleID
        self.ruleName = ruleName
        self.deviceID = deviceID
        self.tenantID = tenantID
        self.tenant = tenant
        self.uid = uid
        self.state = state
        self.value = value
        self.openedAt = openedAt
        self.acknowledgedAt = acknowledgedAt
        self.acknowledgedBy = acknowledgedBy
        self.resolvedAt = resolvedAt
    }
}

/// Which alerts a list returns, newest first.
public struct AlertQuery: Sendable, Hashable {
    /// Nil: every tenant (platform admins).
    public var tenantID: Int64?
    public var state: AlertState?
    public var deviceID: Int64?
    public var ruleID: Int64?
    /// Alerts with ids below this one (the previous page's last id).
    public var beforeID: Int64?
    public var limit: Int

    public init(
        tenantID: Int64? = nil, state: AlertState? = nil, deviceID: Int64? = nil, ruleID: Int64? = nil,
        beforeID: Int64? = nil, limit: Int = 100
    ) {
        self.tenantID = tenantID
        self.state = state
        self.deviceID = deviceID
        self.ruleID = ruleID
        self.beforeID = beforeID
        self.limit = limit
    }
}
