import Foundation
import RoostCore
import RoostJSON
import RoostStore

/// An alert rule's fields from a request body: all of them when creating, those given over the
/// rule's current ones when changing it. Names the field at fault (422).
struct AlertRuleBody {
    static let longest: Int64 = 30 * 86_400

    /// The spec `body` describes over `base` (nil: a new rule, `name` and the kind's fields
    /// required), and a webhook secret generated for it when it has a URL and none was given.
    static func spec(_ body: JSONBody, over base: AlertRuleSpec?, device: Int64??) throws -> (AlertRuleSpec, String?) {
        let name = try body.string("name", required: base == nil, maxLength: 128) ?? base?.name ?? ""
        let kindText = try body.string("kind", maxLength: 16)
        let kind: AlertRuleKind
        if let kindText {
            guard let parsed = AlertRuleKind(rawValue: kindText) else {
                throw APIError.invalid("kind must be threshold, no_data or offline", field: "kind")
            }
            kind = parsed
        } else {
            kind = base?.kind ?? .threshold
        }
        var spec = base ?? AlertRuleSpec(name: name, kind: kind)
        spec.name = name
        if kind != spec.kind {
            spec = AlertRuleSpec(
                name: name, deviceID: spec.deviceID, labels: spec.labels, kind: kind, webhookURL: spec.webhookURL,
                webhookSecret: spec.webhookSecret, enabled: spec.enabled)
        }
        if let device { spec.deviceID = device }
        if body.members["labels"] != nil {
            spec.labels = try DeviceRoutes.labels(body)
            if spec.labels == "{}" { spec.labels = nil }
        }
        if spec.deviceID != nil && spec.labels != nil {
            throw APIError.invalid("a rule watches one device or a label selector, not both", field: "labels")
        }
        switch kind {
        case .threshold:
            spec.key = try body.string("key", maxLength: 128) ?? spec.key
            guard let key = spec.key, !key.isEmpty else { throw APIError.invalid("key is required", field: "key") }
            if let op = try body.string("op", maxLength: 2) {
                guard let parsed = AlertOperator(rawValue: op) else {
                    throw APIError.invalid(
                        "op must be one of \(AlertOperator.allCases.map(\.rawValue).joined(separator: " "))", field: "op")
                }
                spec.op = parsed
            }
            guard spec.op != nil else { throw APIError.invalid("op is required", field: "op") }
            if let value = body.members["threshold"], value != .null {
                guard case .number(let n) = value, n.isFinite else {
                    throw APIError.invalid("threshold must be a number", field: "threshold")
                }
                spec.threshold = n
            }
            guard spec.threshold != nil else { throw APIError.invalid("threshold is required", field: "threshold") }
            spec.duration = try seconds(body, "for_s", default: base?.kind == .threshold ? spec.duration : 0, minimum: 0) ?? 0
        case .noData, .offline:
            spec.key = nil
            spec.op = nil
            spec.threshold = nil
            let fallback: Int64? = base?.kind == kind ? spec.duration : nil
            guard let after = try seconds(body, "after_s", default: fallback, minimum: 1) else {
                throw APIError.invalid("after_s is required", field: "after_s")
            }
            spec.duration = after
        }
        var generated: String?
        if body.members["webhook_url"] != nil {
            let url = try body.string("webhook_url", maxLength: 2048)
            if let url, !url.isEmpty {
                guard let parsed = URL(string: url), ["http", "https"].contains(parsed.scheme?.lowercased() ?? ""),
                    parsed.host?.isEmpty == false
                else { throw APIError.invalid("webhook_url must be an http or https URL", field: "webhook_url") }
                spec.webhookURL = url
            } else {
                spec.webhookURL = nil
                spec.webhookSecret = nil
            }
        }
        if let secret = try body.string("webhook_secret", maxLength: 256) {
            guard secret.utf8.count >= 16 else {
                throw APIError.invalid("webhook_secret must be at least 16 characters", field: "webhook_secret")
            }
            spec.webhookSecret = secret
        }
        if spec.webhookURL != nil && spec.webhookSecret == nil {
            generated = TokenService.randomToken(bytes: 24)
            spec.webhookSecret = generated
        }
        if let enabled = body.members["enabled"] {
            guard case .bool(let on) = enabled else { throw APIError.invalid("enabled must be true or false", field: "enabled") }
            spec.enabled = on
        }
        return (spec, generated)
    }

    private static func seconds(_ body: JSONBody, _ key: String, default value: Int64?, minimum: Int64) throws -> Int64? {
        guard let given = try body.integer(key) else { return value }
        guard (minimum...longest).contains(given) else {
            throw APIError.invalid("\(key) must be \(minimum) to \(longest) seconds", field: key)
        }
        return given
    }
}
