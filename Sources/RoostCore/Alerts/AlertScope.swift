import RoostJSON
public import RoostStore

/// What the alert evaluator knows of a device, kept in memory so that no message costs a query.
struct AlertDevice: Sendable {
    var tenant: String
    var uid: String
    var labels: [String: String]
    /// The last telemetry received (epoch ms), or when it was registered if it never sent any.
    var lastData: Int64
    /// Nil until a status is known.
    var online: Bool?
    var statusAt: Int64

    init(_ record: DeviceRecord) {
        tenant = record.tenant
        uid = record.uid
        labels = AlertRule.labels(record.labels) ?? [:]
        lastData = record.lastSeen ?? record.createdAt
        online = record.status == "online" ? true : record.status == "offline" ? false : nil
        statusAt = record.statusAt ?? record.createdAt
    }

    /// A device first seen in an ingest batch at `at`, before its record is read.
    init(tenant: String, uid: String, at: Int64) {
        self.tenant = tenant
        self.uid = uid
        labels = [:]
        lastData = at
        online = nil
        statusAt = at
    }
}

/// A rule ready to evaluate: which devices it covers, and its comparison.
struct AlertRule: Sendable {
    let record: AlertRuleRecord
    /// The label selector, parsed.
    let selector: [String: String]

    init(_ record: AlertRuleRecord) {
        self.record = record
        self.selector = record.spec.labels.flatMap(Self.labels) ?? [:]
    }

    var id: Int64 { record.id }
    var kind: AlertRuleKind { record.spec.kind }
    /// The duration in milliseconds.
    var holdMS: Int64 { record.spec.duration * 1000 }

    /// Whether the rule covers `device` (row id `id`): its one device, or every device of its
    /// tenant whose labels contain the selector.
    func covers(_ id: Int64, _ device: AlertDevice) -> Bool {
        guard device.tenant == record.tenant else { return false }
        if let only = record.spec.deviceID { return only == id }
        for (key, value) in selector where device.labels[key] != value { return false }
        return true
    }

    /// The value of the rule's key in a telemetry row, and whether it breaches; nil when the
    /// row does not carry the key as a number.
    func check(_ fields: [JSONMember]) -> (value: Double, breached: Bool)? {
        guard let key = record.spec.key, let op = record.spec.op, let threshold = record.spec.threshold,
            let value = fields.first(where: { $0.key == key })?.value.numberValue
        else { return nil }
        return (value, op.breached(value, threshold))
    }

    /// A JSON object of string values, as labels are stored.
    static func labels(_ text: String) -> [String: String]? {
        guard case .object(let members) = try? JSONParser.parse(text) else { return nil }
        var out: [String: String] = [:]
        for m in members {
            if case .string(let s) = m.value { out[m.key] = s }
        }
        return out
    }
}

/// One rule and one device.
struct AlertPair: Hashable, Sendable {
    var rule: Int64
    var device: Int64
}
