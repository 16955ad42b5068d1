import RoostJSON
public import RoostStore

/// What the alert evaluator knows of a device, kept in memory so that no message costs a
/// query, with the state of each rule on it: a breach being held, an alert open. A class: the
/// evaluator updates it in place under its lock, never copying it back into a dictionary.
final class AlertDevice: @unchecked Sendable {
    let tenant: String
    let uid: String
    var labels: [String: String]
    /// The last telemetry received (epoch ms), or when it was registered if it never sent any.
    var lastData: Int64
    /// Nil until a status is known.
    var online: Bool?
    var statusAt: Int64
    /// Threshold breaches being held, by rule id.
    var breaches: [Int64: (since: Int64, value: Double)] = [:]
    /// Rules with an open or acknowledged alert on this device.
    var active: Set<Int64> = []

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

    /// Takes over what memory learnt about the same device (newer data, presence, rule state).
    func inherit(_ old: AlertDevice) {
        lastData = max(lastData, old.lastData)
        if old.statusAt > statusAt {
            online = old.online
            statusAt = old.statusAt
        }
        breaches = old.breaches
        active = old.active
    }
}

/// A rule ready to evaluate: which devices it covers, and its comparison unpacked.
struct AlertRule: Sendable {
    let record: AlertRuleRecord
    let id: Int64
    let kind: AlertRuleKind
    /// The one device it watches, if any.
    let deviceID: Int64?
    /// The label selector, parsed.
    let selector: [(String, String)]
    let op: AlertOperator
    let threshold: Double
    /// The duration in milliseconds.
    let holdMS: Int64

    init(_ record: AlertRuleRecord) {
        self.record = record
        id = record.id
        kind = record.spec.kind
        deviceID = record.spec.deviceID
        selector = (record.spec.labels.flatMap(Self.labels) ?? [:]).sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        op = record.spec.op ?? .greater
        threshold = record.spec.threshold ?? 0
        holdMS = record.spec.duration * 1000
    }

    /// Whether the rule (of the device's tenant) covers device `id`: its one device, or every
    /// device whose labels contain the selector.
    @inline(__always)
    func covers(_ id: Int64, _ device: AlertDevice) -> Bool {
        if let only = deviceID { return only == id }
        for (key, value) in selector where device.labels[key] != value { return false }
        return true
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

/// What evaluating one rule needs, in a plain value (no reference counted fields): the
/// evaluator walks arrays of these for every message, and copying a rule's record there would
/// cost a retain and release per string per rule.
struct AlertCheck: Sendable {
    let id: Int64
    /// The one device it watches; -1: none (selector or every device).
    let device: Int64
    /// Index of its label selector in ``TenantRules/selectors``; -1: none.
    let selector: Int
    let op: AlertOperator
    let threshold: Double
    let holdMS: Int64
}

/// A tenant's rules, arranged for evaluation: threshold rules grouped by the key they read (a
/// message's value for a key is found once for all its rules).
struct TenantRules: Sendable {
    var thresholds: [(key: String, checks: [AlertCheck])] = []
    var noData: [AlertCheck] = []
    var offline: [AlertCheck] = []
    var selectors: [[(String, String)]] = []

    init(_ rules: [AlertRule]) {
        var byKey: [String: [AlertCheck]] = [:]
        var order: [String] = []
        for rule in rules {
            var selector = -1
            if rule.deviceID == nil && !rule.selector.isEmpty {
                selector = selectors.count
                selectors.append(rule.selector)
            }
            let check = AlertCheck(
                id: rule.id, device: rule.deviceID ?? -1, selector: selector, op: rule.op, threshold: rule.threshold,
                holdMS: rule.holdMS)
            switch rule.kind {
            case .threshold:
                let key = rule.record.spec.key ?? ""
                if byKey[key] == nil { order.append(key) }
                byKey[key, default: []].append(check)
            case .noData: noData.append(check)
            case .offline: offline.append(check)
            }
        }
        thresholds = order.map { ($0, byKey[$0]!) }
    }

    /// Whether `check` covers device `id`: its one device, or every device whose labels contain
    /// its selector.
    @inline(__always)
    func covers(_ check: AlertCheck, _ id: Int64, _ device: AlertDevice) -> Bool {
        if check.device >= 0 { return check.device == id }
        guard check.selector >= 0 else { return true }
        for (key, value) in selectors[check.selector] where device.labels[key] != value { return false }
        return true
    }
}

/// One rule and one device.
struct AlertPair: Hashable, Sendable {
    var rule: Int64
    var device: Int64
}
