import RoostCore
import RoostJSON
import Testing

@Suite("Command answers and routes")
struct CommandAckTests {
    static func parse(_ text: String, correlation: String? = nil) -> CommandAck? {
        CommandAck.parse(Array(text.utf8), correlation: correlation)
    }

    @Test("the contract's answer: id, ok or error, optional result")
    func contract() {
        #expect(Self.parse(#"{"id":"c1","status":"ok"}"#) == CommandAck(id: "c1", succeeded: true, result: nil))
        #expect(
            Self.parse(#"{"id":"c1","status":"error","result":{"code":7}}"#)
                == CommandAck(id: "c1", succeeded: false, result: .object([JSONMember("code", .number(7))])))
        // Other members are the result when there is no `result`.
        #expect(
            Self.parse(#"{"id":"c1","status":"failed","error":"jammed"}"#)?.result
                == .object([JSONMember("error", .string("jammed"))]))
        #expect(Self.parse(#"{"id":"c1","status":true}"#)?.succeeded == true)
    }

    @Test("an MQTT 5 response: the id from correlation data, ok without a status")
    func response() {
        #expect(Self.parse("", correlation: "c9") == CommandAck(id: "c9", succeeded: true, result: nil))
        #expect(Self.parse(#"{"temp":3}"#, correlation: "c9")?.result == .object([JSONMember("temp", .number(3))]))
        #expect(Self.parse(#"{"status":"error"}"#, correlation: "c9")?.succeeded == false)
        // An id in the payload wins over the correlation data.
        #expect(Self.parse(#"{"id":"c1","status":"ok"}"#, correlation: "c9")?.id == "c1")
    }

    @Test("answers that name no command or no known status are not answers")
    func refused() {
        #expect(Self.parse(#"{"status":"ok"}"#) == nil)
        #expect(Self.parse(#"{"id":"c1"}"#) == nil)
        #expect(Self.parse(#"{"id":"c1","status":"maybe"}"#) == nil)
        #expect(Self.parse("not json") == nil)
        #expect(Self.parse(#"{"id":"","status":"ok"}"#) == nil)
    }

    @Test("each preset's downlink answers on that preset's ack topic")
    func routes() throws {
        let layout = try TopicLayout(presets: ["default", "company-machine", "from-to-device"])
        let t0 = layout.commandRoutes(tenant: "t0").map {
            ($0.commands.topic(tenant: "t0", device: "d"), $0.ack?.topic(tenant: "t0", device: "d"))
        }
        #expect(t0.map(\.0) == ["t0/devices/d/commands", "company/t0/machine/d/command", "to_device/d"])
        #expect(t0.map(\.1) == ["t0/devices/d/commands/ack", "company/t0/machine/d/command/ack", "from_device/d/ack"])
        // seed 003's fixed tenant t0 serves no other tenant.
        #expect(layout.commandRoutes(tenant: "acme").count == 2)
        #expect(layout.uplink("from_device/d/ack")?.kind == .commandAck)
        #expect(layout.uplink("company/1/machine/M/command/ack")?.kind == .commandAck)
        #expect(CommandTracker.counts("t0/devices/+/commands") && !CommandTracker.counts("#"))
        #expect(!CommandTracker.counts("+/devices/d/commands"))
    }
}
