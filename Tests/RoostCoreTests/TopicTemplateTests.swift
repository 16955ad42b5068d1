import RoostCore
import Testing

@Suite("Topic templates and presets")
struct TopicTemplateTests {
    static let all = try! TopicLayout(presets: ["default", "company-machine", "user-feeds", "from-to-device"])

    @Test(
        "each preset resolves its uplink topics",
        arguments: [
            ("t0/devices/dev-01/telemetry", "t0", "dev-01", TopicKind.telemetry, nil as String?),
            ("t0/devices/dev-01/status", "t0", "dev-01", .status, nil),
            ("acme/devices/x/commands/ack", "acme", "x", .commandAck, nil),
            ("company/1/machine/A/telemetry", "1", "A", .telemetry, nil),
            ("company/1/machine/A/status", "1", "A", .status, nil),
            ("users/42/devices/kitchen/feeds/temperature", "42", "kitchen", .telemetry, "temperature"),
            ("from_device/u7/status", "t0", "u7", .status, nil),
            ("from_device/u7/event", "t0", "u7", .event, nil),
        ])
    func uplink(_ topic: String, _ tenant: String, _ device: String, _ kind: TopicKind, _ feed: String?) throws {
        let match = try #require(Self.all.uplink(topic))
        #expect(match.tenant == tenant && match.device == device && match.kind == kind && match.feed == feed)
    }

    @Test(
        "topics outside the templates do not resolve",
        arguments: [
            "t0/devices/dev-01", "t0/devices/dev-01/telemetry/extra", "t0/devices//telemetry",
            "other/devices/x/telemetry/y",
            "company/1/machine/A/command", "to_device/u7", "users/42/devices/kitchen/feeds",
        ])
    func notUplink(_ topic: String) {
        #expect(Self.all.uplink(topic) == nil)
    }

    @Test("downlink topics and their rendering")
    func downlink() throws {
        #expect(Self.all.downlink("t0/devices/dev-01/commands")?.device == "dev-01")
        #expect(Self.all.downlink("to_device/u7")?.tenant == "t0")
        #expect(Self.all.downlink("company/1/machine/A/command")?.device == "A")
        let layout = try TopicLayout(presets: ["company-machine"])
        #expect(layout.commandTopic(tenant: "9", device: "M1") == "company/9/machine/M1/command")
    }

    @Test("filters cover every topic of a template")
    func filters() throws {
        let t = try TopicTemplate("users/{tenant}/devices/{device}/feeds/{feed}", kind: .telemetry)
        #expect(t.filter == "users/+/devices/+/feeds/+")
        #expect(t.topic(tenant: "1", device: "d", feed: "temp") == "users/1/devices/d/feeds/temp")
    }

    @Test(
        "bad templates are refused with a reason",
        arguments: [
            "{tenant}/devices/telemetry", "{tenant}/{device}/{device}", "{tenant}/dev{device}/x",
            "{tenant}/{device}/{user}",
            "{tenant}/+/{device}", "{device}/x",
        ])
    func badTemplates(_ pattern: String) {
        #expect(throws: TopicTemplateError.self) { try TopicTemplate(pattern, kind: .telemetry) }
    }

    @Test("an unknown preset names the known ones")
    func unknownPreset() {
        #expect(throws: TopicTemplateError.self) { try TopicLayout(presets: ["nope"]) }
    }
}
