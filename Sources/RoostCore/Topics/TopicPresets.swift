import MQTTCore

/// The named topic layouts of `--topic-preset` (../shared/CONTRACT.md), and a set of them in
/// force that resolves topics.
public struct TopicLayout: Sendable {
    /// Every template in force, uplink and downlink.
    public let templates: [TopicTemplate]
    /// Each command downlink with the uplink its devices answer on.
    public let commandRoutes: [CommandRoute]
    /// The uplink and downlink templates by their number of levels, in the layout's order: a
    /// topic only a template of its own length can fit, so most broker traffic that is not a
    /// device's (say `bench/7`) is turned away by counting slashes, without splitting it.
    private let uplinkByLength: [[TopicTemplate]]
    private let downlinkByLength: [[TopicTemplate]]

    /// Uses these templates (earlier ones win when two match the same topic). A command
    /// downlink `P` answers on the ack template `P/ack` when there is one, else on the first ack
    /// template with the same fixed tenant.
    public init(templates: [TopicTemplate]) {
        self.init(templates: templates, routes: Self.routes(templates))
    }

    private init(templates: [TopicTemplate], routes: [CommandRoute]) {
        self.templates = templates
        self.commandRoutes = routes
        func byLength(_ direction: TopicDirection) -> [[TopicTemplate]] {
            let chosen = templates.filter { $0.direction == direction }
            var buckets = Array(repeating: [TopicTemplate](), count: (chosen.map(\.levels.count).max() ?? 0) + 1)
            for template in chosen { buckets[template.levels.count].append(template) }
            return buckets
        }
        self.uplinkByLength = byLength(.uplink)
        self.downlinkByLength = byLength(.downlink)
    }

    /// The layout of presets named in `names` (e.g. `["default", "company-machine"]`); a
    /// preset's command downlink answers on that preset's ack topic.
    public init(presets names: [String]) throws {
        var templates: [TopicTemplate] = []
        var routes: [CommandRoute] = []
        for name in names {
            guard let preset = Self.presets[name] else {
                throw TopicTemplateError(
                    "unknown topic preset '\(name)'; known: \(Self.presets.keys.sorted().joined(separator: ", "))")
            }
            templates += preset
            routes += Self.routes(preset)
        }
        self.init(templates: templates, routes: routes)
    }

    private static func routes(_ templates: [TopicTemplate]) -> [CommandRoute] {
        let acks = templates.filter { $0.kind == .commandAck }
        return templates.filter { $0.kind == .commands }.map { commands in
            let ack =
                acks.first { $0.pattern == commands.pattern + "/ack" }
                ?? acks.first { $0.fixedTenant == commands.fixedTenant }
            return CommandRoute(commands: commands, ack: ack)
        }
    }

    /// The command routes that can address a device of `tenant` (a template with a fixed tenant
    /// serves that tenant only), in the layout's order.
    public func commandRoutes(tenant: String) -> [CommandRoute] {
        commandRoutes.filter { $0.commands.fixedTenant == nil || $0.commands.fixedTenant == tenant }
    }

    /// Resolves an uplink topic (telemetry, status, event, command ack).
    public func uplink(_ topic: String) -> TopicMatch? {
        resolve(topic, .uplink)
    }

    /// Resolves a downlink topic (commands to a device).
    public func downlink(_ topic: String) -> TopicMatch? {
        resolve(topic, .downlink)
    }

    /// Runs on every routed message, once per observer: the topic is split once for the
    /// templates of its length, and not at all when there are none.
    private func resolve(_ topic: String, _ direction: TopicDirection) -> TopicMatch? {
        let buckets = direction == .uplink ? uplinkByLength : downlinkByLength
        var length = 1
        for byte in topic.utf8 where byte == UInt8(ascii: "/") { length += 1 }
        guard length < buckets.count, !buckets[length].isEmpty else { return nil }
        let levels = Topic.levels(topic)
        for template in buckets[length] {
            if let match = template.match(levels: levels) { return match }
        }
        return nil
    }

    /// The first downlink (command) topic for a device, if the layout has one.
    public func commandTopic(tenant: String, device: String) -> String? {
        templates.first { $0.kind == .commands }?.topic(tenant: tenant, device: device)
    }

    /// Every shadow delta topic (downlink) that can address a device of `tenant`.
    public func shadowDeltaTopics(tenant: String, device: String) -> [String] {
        templates.filter { $0.kind == .shadowDelta && ($0.fixedTenant == nil || $0.fixedTenant == tenant) }
            .map { $0.topic(tenant: tenant, device: device) }
    }

    /// The built-in presets.
    public static let presets: [String: [TopicTemplate]] = {
        func t(_ pattern: String, _ kind: TopicKind, tenant: String? = nil) -> TopicTemplate {
            // The presets are fixed strings checked by the tests; a failure here is a typo.
            try! TopicTemplate(pattern, kind: kind, fixedTenant: tenant)
        }
        return [
            "default": [
                t("{tenant}/devices/{device}/telemetry", .telemetry),
                t("{tenant}/devices/{device}/status", .status),
                t("{tenant}/devices/{device}/commands/ack", .commandAck),
                t("{tenant}/devices/{device}/commands", .commands),
                t("{tenant}/devices/{device}/shadow/reported", .shadowReported),
                t("{tenant}/devices/{device}/shadow/delta", .shadowDelta),
            ],
            "company-machine": [
                t("company/{tenant}/machine/{device}/telemetry", .telemetry),
                t("company/{tenant}/machine/{device}/status", .status),
                t("company/{tenant}/machine/{device}/command/ack", .commandAck),
                t("company/{tenant}/machine/{device}/command", .commands),
                t("company/{tenant}/machine/{device}/shadow/reported", .shadowReported),
                t("company/{tenant}/machine/{device}/shadow/delta", .shadowDelta),
            ],
            "user-feeds": [
                t("users/{tenant}/devices/{device}/feeds/{feed}", .telemetry)
            ],
            "from-to-device": [
                t("from_device/{device}/status", .status, tenant: "t0"),
                t("from_device/{device}/event", .event, tenant: "t0"),
                t("from_device/{device}/ack", .commandAck, tenant: "t0"),
                t("to_device/{device}", .commands, tenant: "t0"),
                t("from_device/{device}/shadow/reported", .shadowReported, tenant: "t0"),
                t("to_device/{device}/shadow/delta", .shadowDelta, tenant: "t0"),
            ],
        ]
    }()
}

/// A command downlink and the uplink its devices acknowledge on.
public struct CommandRoute: Sendable, Hashable {
    /// Where commands go (`{tenant}/devices/{device}/commands`).
    public let commands: TopicTemplate
    /// Where devices answer (`…/commands/ack`); nil when the layout has none, and then only an
    /// MQTT 5 response can finish a command.
    public let ack: TopicTemplate?
}
