import Foundation
import MQTTBroker
import RoostServer
import Testing

@Suite("Settings: flag, environment, file, default")
struct SettingsTests {
    /// Writes `text` to a file named `name` in a fresh directory and returns its path.
    static func file(_ name: String, _ text: String) throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("roost-settings-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent(name).path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("each source overrides the ones after it")
    func precedence() throws {
        let path = try Self.file("roost.toml", "mqtt_port = 1000\nhttp_port = 2000\ndata_dir = \"/file\"\n[mqtt]\nmax_connections = 7\n")
        let settings = try Settings(
            configFile: path, environment: ["ROOST_HTTP_PORT": "3000", "ROOST_MQTT_MAX_CONNECTIONS": "9", "HOME": "/x"])
        var flags = ServeFlags()
        flags.dataDir = "/flag"
        let configuration = try RoostConfiguration(settings: settings, flags: flags)
        #expect(configuration.mqttPort == 1000)  // file
        #expect(configuration.httpPort == 3000)  // environment over file
        #expect(configuration.dataDir == "/flag")  // flag over file
        #expect(configuration.broker.maxConnections == 9)  // environment over a file section
        #expect(configuration.database == "sqlite")  // default
    }

    @Test("commands and presence: limits, the inactivity timeout and per-tenant ones; bad values refused")
    func commandsAndPresence() throws {
        let path = try Self.file(
            "roost.toml",
            """
            [commands]
            max_queued_per_device = 5
            default_timeout = 30
            [presence]
            inactivity_timeout = 120
            [presence.tenant_inactivity_timeout]
            acme = 600
            t0 = 45.5
            """)
        let c = try RoostConfiguration(settings: try Settings(configFile: path, environment: [:]))
        #expect(c.commands.maxQueuedPerDevice == 5 && c.commands.defaultTimeout == 30)
        #expect(c.commands.maxTimeout == 7 * 86_400 && c.commands.maxParamsBytes == 8192)
        #expect(c.ingest.inactivityTimeout == 120)
        #expect(c.ingest.tenantInactivityTimeouts == ["acme": 600, "t0": 45.5])
        for bad in ["commands.default_timeout", "presence.inactivity_timeout"] {
            let env = ["ROOST_" + bad.uppercased().replacingOccurrences(of: ".", with: "_"): "0"]
            #expect(throws: SettingsError.self) {
                _ = try RoostConfiguration(settings: try Settings(configFile: nil, environment: env))
            }
        }
    }

    @Test("JSON config files: nested objects are sections, arrays lists")
    func json() throws {
        let path = try Self.file(
            "roost.json", #"{"topic_preset": ["default", "user-feeds"], "mqtt": {"max_inflight": 5, "queue_qos0_messages": true}}"#)
        let configuration = try RoostConfiguration(settings: try Settings(configFile: path, environment: [:]))
        #expect(configuration.topicPresets == ["default", "user-feeds"])
        #expect(configuration.broker.maxInflight == 5)
        #expect(configuration.broker.queueQoS0Messages)
    }

    @Test("defaults: loopback admits anonymous clients, another address only with the flag or the setting")
    func anonymous() throws {
        let none = try Settings(configFile: nil, environment: [:])
        #expect(try RoostConfiguration(settings: none).broker.allowAnonymous)
        var flags = ServeFlags()
        flags.bind = "0.0.0.0"
        #expect(try !RoostConfiguration(settings: none, flags: flags).broker.allowAnonymous)
        flags.allowAnonymous = true
        #expect(try RoostConfiguration(settings: none, flags: flags).broker.allowAnonymous)
        let env = try Settings(configFile: nil, environment: ["ROOST_MQTT_ALLOW_ANONYMOUS": "no"])
        #expect(try !RoostConfiguration(settings: env).broker.allowAnonymous)
    }

    @Test("writers default by store; TLS ports appear with TLS; the admin comes from the environment")
    func derived() throws {
        let pg = try Settings(
            configFile: nil,
            environment: [
                "ROOST_DATABASE": "postgres://u:secret@127.0.0.1:5432/db", "ROOST_TLS_CERT": "c.pem",
                "ROOST_TLS_KEY": "k.pem", "ROOST_ADMIN_EMAIL": "ops@example.com",
            ])
        let configuration = try RoostConfiguration(settings: pg)
        #expect(configuration.ingest.writers == 2)
        #expect(configuration.mqttsPort == 8883 && configuration.httpsPort == 8443)
        #expect(configuration.adminEmail == "ops@example.com")
        #expect("\(try configuration.databaseLocation)" == "postgres postgres://u:***@127.0.0.1:5432/db")
        let sqlite = try RoostConfiguration(settings: try Settings(configFile: nil, environment: [:]))
        #expect(sqlite.ingest.writers == 1 && sqlite.mqttsPort == nil)
        #expect(try sqlite.databaseLocation == .sqlite(path: "./roost-data/roost.sqlite", synchronousFull: false))
    }

    @Test(
        "mistakes are reported before anything starts",
        arguments: [
            (["ROOST_MQTT_PORT": "abc"], "mqtt_port must be an integer, got 'abc'"),
            (["ROOST_HTTP_PORT": "70000"], "port 70000 is out of range"),
            (["ROOST_TLS_CERT": "c.pem"], "--tls-cert and --tls-key go together"),
            (["ROOST_DATABASE": "mysql://x"], "--database must be 'sqlite' or a postgres:// URL, got 'mysql://x'"),
            (["ROOST_INGEST_WRITERS": "9"], "ingest.writers must be 1...8"),
            (["ROOST_AUTH_BCRYPT_COST": "3"], "auth.bcrypt_cost must be 4...16, auth.access_ttl > 0"),
            (["ROOST_SQLITE_SYNCHRONOUS": "off"], "sqlite.synchronous must be normal or full, got 'off'"),
            (["ROOST_MQTT_QUEUE_QOS0_MESSAGES": "maybe"], "mqtt.queue_qos0_messages must be true or false, got 'maybe'"),
            (["ROOST_API_HISTORY_CACHE_MB": "-1"], "api.history_cache_mb must be 0...65536"),
        ])
    func mistakes(_ environment: [String: String], _ message: String) throws {
        let settings = try Settings(configFile: nil, environment: environment)
        #expect(throws: SettingsError(message)) { try RoostConfiguration(settings: settings) }
    }

    @Test("a config file that cannot be read, or is not valid, names the file or the line")
    func badFiles() throws {
        #expect {
            try Settings(configFile: "/nonexistent/roost.toml", environment: [:])
        } throws: { error in
            "\(error)".hasPrefix("cannot read the config file /nonexistent/roost.toml")
        }
        let path = try Self.file("roost.toml", "mqtt_port = 1883\nbind = localhost\n")
        #expect {
            try Settings(configFile: path, environment: [:])
        } throws: { error in
            "\(error)".hasPrefix("config line 2: 'localhost' is not a value")
        }
        let json = try Self.file("roost.json", "[1, 2]")
        #expect(throws: SettingsError("config file must hold a JSON object")) {
            try Settings(configFile: json, environment: [:])
        }
    }
}
