import Foundation
import MQTTCore
import RoostServer
import Testing

@Suite("Settings: --broker and external_broker.*")
struct ExternalBrokerSettingsTests {
    @Test("URLs: schemes, default ports, credentials (percent-decoded), failover lists; bad ones refused with the reason")
    func urls() throws {
        let plain = try ExternalBrokerURL(parsing: "mqtt://roost:p%40ss@emqx-1.local")
        #expect(plain.host == "emqx-1.local" && plain.port == 1883 && !plain.tls && plain.webSocketPath == nil)
        #expect(plain.username == "roost" && plain.password == "p@ss")
        #expect(plain.description == "mqtt://roost@emqx-1.local:1883", "no password in logs")
        let tls = try ExternalBrokerURL(parsing: "mqtts://broker:18883")
        #expect(tls.tls && tls.port == 18883 && tls.username == nil)
        let ws = try ExternalBrokerURL(parsing: "wss://broker")
        #expect(ws.tls && ws.port == 443 && ws.webSocketPath == "/mqtt")
        #expect(try ExternalBrokerURL(parsing: "ws://broker:8083/mqtt-path").webSocketPath == "/mqtt-path")
        let list = try ExternalBrokerURL.list("mqtt://a:1883, mqtt://b:1884")
        #expect(list.map(\.host) == ["a", "b"] && list.map(\.port) == [1883, 1884])
        #expect(throws: SettingsError.self) { try ExternalBrokerURL(parsing: "http://broker") }
        #expect(throws: SettingsError.self) { try ExternalBrokerURL(parsing: "broker:1883") }
        #expect(throws: SettingsError.self) { try ExternalBrokerURL.list(" , ") }
    }

    @Test("--broker turns external mode on: the own listener closed unless --mqtt-listener; the external_broker.* settings")
    func configuration() throws {
        let none = try RoostConfiguration(settings: try Settings(configFile: nil, environment: [:]))
        #expect(none.externalBroker == nil)

        var flags = ServeFlags()
        flags.broker = "mqtt://emqx:1883"
        let defaults = try #require(try RoostConfiguration(settings: try Settings(configFile: nil, environment: [:]), flags: flags).externalBroker)
        #expect(!defaults.keepListener && defaults.sessionExpiry == 3600 && defaults.receiveMaximum == 1000)
        #expect(defaults.clientID.hasPrefix("roost-") && defaults.shared("a/+/b") == "$share/roost/a/+/b")
        #expect(defaults.protocolVersion == .v5)

        flags.mqttListener = true
        let environment = [
            "ROOST_EXTERNAL_BROKER_CLIENT_ID": "roost-node-2", "ROOST_EXTERNAL_BROKER_SESSION_EXPIRY": "86400",
            "ROOST_EXTERNAL_BROKER_RECEIVE_MAXIMUM": "200", "ROOST_EXTERNAL_BROKER_SHARE_GROUP": "fleet",
            "ROOST_EXTERNAL_BROKER_PROTOCOL_VERSION": "4",
        ]
        let set = try #require(try RoostConfiguration(settings: try Settings(configFile: nil, environment: environment), flags: flags).externalBroker)
        #expect(set.keepListener && set.clientID == "roost-node-2" && set.sessionExpiry == 86400)
        #expect(set.receiveMaximum == 200 && set.shared("x") == "$share/fleet/x" && set.protocolVersion == .v3_1_1)

        // From the environment alone, as a fleet's unit files set it.
        let fromEnvironment = try RoostConfiguration(
            settings: try Settings(configFile: nil, environment: ["ROOST_BROKER": "mqtt://a:1883,mqtts://b:8883"]))
        #expect(fromEnvironment.externalBroker?.urls.count == 2)

        for (key, value) in [
            ("ROOST_EXTERNAL_BROKER_SHARE_GROUP", "a/b"), ("ROOST_EXTERNAL_BROKER_RECEIVE_MAXIMUM", "0"),
            ("ROOST_EXTERNAL_BROKER_PROTOCOL_VERSION", "3"), ("ROOST_EXTERNAL_BROKER_CLIENT_ID", ""),
        ] {
            #expect(throws: SettingsError.self, "\(key)=\(value)") {
                try RoostConfiguration(settings: try Settings(configFile: nil, environment: [key: value]), flags: flags)
            }
        }
    }
}
