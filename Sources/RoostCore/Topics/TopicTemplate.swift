import MQTTCore

/// A topic pattern with `{tenant}`, `{device}` and optionally `{feed}` placeholders, each a
/// whole topic level, mapped to what messages on it are.
public struct TopicTemplate: Sendable, Hashable, CustomStringConvertible {
    enum Level: Hashable, Sendable {
        case literal(Substring)
        case tenant, device, feed
    }

    /// The pattern as written, e.g. `{tenant}/devices/{device}/telemetry`.
    public let pattern: String
    public let kind: TopicKind
    public let direction: TopicDirection
    /// Tenant for patterns without `{tenant}` (seed 003's `from_device/{device}/…` is tenant `t0`).
    public let fixedTenant: String?
    let levels: [Level]

    /// Parses a pattern. Throws when a placeholder is unknown, repeated, not a whole level, or
    /// `{device}` is missing, or when no tenant can be known.
    public init(_ pattern: String, kind: TopicKind, direction: TopicDirection? = nil, fixedTenant: String? = nil) throws
    {
        var levels: [Level] = []
        var seen: Set<String> = []
        for raw in pattern.split(separator: "/", omittingEmptySubsequences: false) {
            if raw.hasPrefix("{") && raw.hasSuffix("}") {
                let name = String(raw.dropFirst().dropLast())
                guard seen.insert(name).inserted else {
                    throw TopicTemplateError("placeholder {\(name)} appears twice in \(pattern)")
                }
                switch name {
                case "tenant": levels.append(.tenant)
                case "device": levels.append(.device)
                case "feed": levels.append(.feed)
                default: throw TopicTemplateError("unknown placeholder {\(name)} in \(pattern)")
                }
            } else {
                guard !raw.contains("{"), !raw.contains("}"), !raw.contains("+"), !raw.contains("#") else {
                    throw TopicTemplateError("level '\(raw)' of \(pattern) must be a literal or a whole placeholder")
                }
                levels.append(.literal(raw))
            }
        }
        guard seen.contains("device") else { throw TopicTemplateError("\(pattern) has no {device}") }
        guard seen.contains("tenant") || fixedTenant != nil else {
            throw TopicTemplateError("\(pattern) has no {tenant} and no fixed tenant")
        }
        self.pattern = pattern
        self.kind = kind
        self.direction = direction ?? kind.direction
        self.fixedTenant = fixedTenant
        self.levels = levels
    }

    /// Tenant, device and feed of `topic` when it fits this template.
    public func match(_ topic: String) -> TopicMatch? {
        match(levels: Topic.levels(topic))
    }

    /// Matches a topic already split into levels (a layout splits once for all its templates).
    func match(levels parts: [Substring]) -> TopicMatch? {
        guard parts.count == levels.count else { return nil }
        // Literals and empty levels first: most topics fail there, before any string is made.
        for (level, part) in zip(levels, parts) {
            if case .literal(let literal) = level {
                guard literal == part else { return nil }
            } else if part.isEmpty {
                return nil
            }
        }
        var tenant = fixedTenant
        var device: String?
        var feed: String?
        for (level, part) in zip(levels, parts) {
            switch level {
            case .literal: continue
            case .tenant: tenant = String(part)
            case .device: device = String(part)
            case .feed: feed = String(part)
            }
        }
        guard let tenant, let device else { return nil }
        return TopicMatch(template: self, tenant: tenant, device: device, feed: feed)
    }

    /// The topic for a device; `{feed}` becomes `feed` (a single-level wildcard when nil).
    public func topic(tenant: String, device: String, feed: String? = nil) -> String {
        levels.map { level -> String in
            switch level {
            case .literal(let literal): String(literal)
            case .tenant: tenant
            case .device: device
            case .feed: feed ?? "+"
            }
        }.joined(separator: "/")
    }

    /// A subscription filter covering every topic of this template (placeholders as `+`).
    public var filter: String {
        levels.map { level -> String in
            if case .literal(let literal) = level { return String(literal) }
            return "+"
        }.joined(separator: "/")
    }

    public var description: String { "\(pattern) (\(kind.rawValue))" }
}
