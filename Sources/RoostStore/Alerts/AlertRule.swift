/// What an alert rule watches.
public enum AlertRuleKind: String, Sendable, Hashable, CaseIterable {
    /// A numeric field compared to a threshold, held for `duration` seconds.
    case threshold
    /// No telemetry from the device for `duration` seconds.
    case noData = "no_data"
    /// The device offline for `duration` seconds.
    case offline
}

/// How a threshold rule compares a value to its threshold.
public enum AlertOperator: String, Sendable, Hashable, CaseIterable {
    case greater = ">", greaterOrEqual = ">=", less = "<", lessOrEqual = "<=", equal = "==", notEqual = "!="

    /// Whether `value` breaches `threshold`.
    public func breached(_ value: Double, _ threshold: Double) -> Bool {
        switch self {
        case .greater: value > threshold
        case .greaterOrEqual: value >= threshold
        case .less: value < threshold
        case .lessOrEqual: value <= threshold
        case .equal: value == threshold
        case .notEqual: value != threshold
        }
    }
}

/// The fields of an alert rule a caller sets (creating one, or all of them when changing one).
public struct AlertRuleSpec: Sendable, Hashable {
    public var name: String
    /// One device (row id), or nil for the label selector or every device of the tenant.
    public var deviceID: Int64?
    /// A JSON object of string values every matching device's labels contain; nil: no selector.
    public var labels: String?
    public var kind: AlertRuleKind
    /// Threshold rules: the flattened key (`temp`, `extra.temp`), operator and threshold.
    public var key: String?
    public var op: AlertOperator?
    public var threshold: Double?
    /// Seconds: how long a breach must hold (threshold, 0: at once), or the silence or offline
    /// time (no_data, offline).
    public var duration: Int64
    /// Where opened and resolved alerts are POSTed, HMAC-signed with `webhookSecret`.
    public var webhookURL: String?
    public var webhookSecret: String?
    public var enabled: Bool

    public init(
        name: String, deviceID: Int64? = nil, labels: String? = nil, kind: AlertRuleKind, key: String? = nil,
        op: AlertOperator? = nil, threshold: Double? = nil, duration: Int64 = 0, webhookURL: String? = nil,
        webhookSecret: String? = nil, enabled: Bool = true
    ) {
        self.name = name
        self.deviceID = deviceID
        self.labels = labels
        self.kind = kind
        self.key = key
        self.op = op
        self.threshold = threshold
        self.duration = duration
        self.webhookURL = webhookURL
        self.webhookSecret = webhookSecret
        self.enabled = enabled
    }
}

/// An alert rule as stored.
public struct AlertRuleRecord: Sendable, Hashable {
    public var id: Int64
    public var tenantID: Int64
    /// The tenant's name, as topics name it.
    public var tenant: String
    /// The device's uid when the rule names one.
    public var uid: String?
    public var spec: AlertRuleSpec
    public var createdAt: Int64
    public var updatedAt: Int64

    public init(
        id: Int64, tenantID: Int64, tenant: String, uid: String?, spec: AlertRuleSpec, createdAt: Int64,
        updatedAt: Int64
    ) {
        self.id = id
        self.tenantID = tenantID
        self.tenant = tenant
        self.uid = uid
        self.spec = spec
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
