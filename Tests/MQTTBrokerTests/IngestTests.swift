import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import SQLiteNIO
import Testing

/// Durable ingest through the broker into SQLite, with devices written for the seeds.
@Suite("Ingest into SQLite")
struct IngestTests {
    /// A server with ingest on a fresh database, and a read connection to check rows.
    struct Setup {
        let server: TestServer
        let db: SQLiteConnection
        let dir: URL

        func scalar(_ sql: String, _ binds: [SQLiteData] = []) async throws -> SQLiteData? {
            try await db.query(sql, binds).first?.columns.first?.data
        }

        func stop() async {
            try? await db.close()
            await server.stop()
            try? FileManager.default.removeItem(at: dir)
        }
    }

    static func setup(_ presets: [String] = ["default"]) async throws -> Setup {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("roost-ingest-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("roost.sqlite").path
        let server = try await TestServer.start(databasePath: path, ingestPresets: presets)
        let db = try await SQLiteConnection.open(storage: .file(path: path))
        return Setup(server: server, db: db, dir: dir)
    }

    static func python(_ script: String, _ port: Int) async throws -> ExternalProcess.Result {
        try await ExternalProcess.run("python3", ["-c", script, "\(port)"], timeout: 60)
    }

    @Test("seed 000: sim_device.py's 20 messages become 20 rows; its retained status is kept")
    func seed000() async throws {
        let s = try await Self.setup()
        defer { Task { await s.stop() } }
        let script = """
            import json, sys, time, random
            from paho.mqtt import client as mqtt
            c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2)
            c.connect('127.0.0.1', int(sys.argv[1]), 60)
            c.loop_start()
            uid = 'dev-01'
            c.publish(f't0/devices/{uid}/status', json.dumps({'online': True, 'ts': int(time.time())}), qos=1, retain=True).wait_for_publish()
            for i in range(20):
                payload = {'msg_id': f'{i:04d}', 'ts': int(time.time()), 'data': {'temp': round(20 + random.random()*5, 2)}}
                c.publish(f't0/devices/{uid}/telemetry', json.dumps(payload), qos=1).wait_for_publish()
            c.disconnect(); c.loop_stop()
            print('OK')
            """
        let r = try await Self.python(script, s.server.mqttPort)
        #expect(r.status == 0, "\(r.output)")
        #expect(try await s.scalar("SELECT count(*) FROM telemetry")?.integer == 20)
        #expect(try await s.scalar("SELECT count(DISTINCT msg_id) FROM telemetry")?.integer == 20)
        #expect(try await s.scalar("SELECT uid FROM devices")?.string == "dev-01")
        #expect(try await s.scalar("SELECT status_doc FROM devices")?.string?.contains("\"online\":true") == true)
        let latest = try await s.scalar("SELECT latest FROM devices")?.string ?? ""
        #expect(latest.hasPrefix("{\"temp\":"), "\(latest)")
    }

    @Test("QoS 1 is acknowledged only after the row is committed; duplicates and bad payloads")
    func ackAfterCommit() async throws {
        let s = try await Self.setup()
        defer { Task { await s.stop() } }
        let c = try await s.server.client("dev-07")
        for i in 0..<10 {
            try await c.publish(
                topic: "t0/devices/dev-07/telemetry", string: "{\"msg_id\":\"m\(i)\",\"data\":{\"v\":\(i)}}",
                qos: .atLeastOnce)
            // PUBACK came back: the row must already be readable.
            #expect(
                try await s.scalar("SELECT count(*) FROM telemetry WHERE msg_id = ?", [.text("m\(i)")])?.integer == 1)
        }
        // A retry of m3 with other values: acknowledged, not stored, latest untouched.
        try await c.publish(
            topic: "t0/devices/dev-07/telemetry", string: "{\"msg_id\":\"m3\",\"data\":{\"v\":999}}", qos: .atLeastOnce)
        #expect(try await s.scalar("SELECT count(*) FROM telemetry")?.integer == 10)
        #expect(try await s.scalar("SELECT latest FROM devices")?.string == "{\"v\":9}")
        // Not JSON: acknowledged, kept as a dead letter, the pipeline goes on.
        try await c.publish(topic: "t0/devices/dev-07/telemetry", string: "temperature=21", qos: .atLeastOnce)
        #expect(try await s.scalar("SELECT reason FROM dead_letters")?.string == "not_json")
        try await c.publish(topic: "t0/devices/dev-07/telemetry", string: "{\"v\": 10}", qos: .atLeastOnce)
        #expect(try await s.scalar("SELECT count(*) FROM telemetry")?.integer == 11)
    }

    @Test("seed 001: company-machine topics, nested fields, and the Last Will marks the machine offline")
    func seed001() async throws {
        let s = try await Self.setup(["company-machine"])
        defer { Task { await s.stop() } }
        let script = """
            import json, sys, time
            from paho.mqtt import client as mqtt
            c = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id='machine-A')
            c.will_set('company/1/machine/A/status', json.dumps({'status': 'offline'}), qos=1, retain=True)
            c.connect('127.0.0.1', int(sys.argv[1]), 60)
            c.loop_start()
            c.publish('company/1/machine/A/status', json.dumps({'status': 'Running', 'energy': 150.5}), qos=1, retain=True).wait_for_publish()
            telemetry = {'battery': 13.5, 'solar_v': 21.2, 'water': 80, 'extra': {'temp': 32.5, 'vibration': 0.01}}
            c.publish('company/1/machine/A/telemetry', json.dumps(telemetry), qos=1).wait_for_publish()
            c.loop_stop()
            c.socket().close()   # a crash: no DISCONNECT, so the broker publishes the will
            print('OK')
            """
        let r = try await Self.python(script, s.server.mqttPort)
        #expect(r.status == 0, "\(r.output)")
        try await eventually("the will to mark the machine offline") {
            try await s.scalar("SELECT status_doc FROM devices")?.string == "{\"status\":\"offline\"}"
        }
        #expect(try await s.scalar("SELECT status FROM devices")?.string == "offline")
        let latest = try await s.scalar("SELECT latest FROM devices")?.string ?? ""
        #expect(latest.contains("\"extra.temp\":32.5") && latest.contains("\"battery\":13.5"), "\(latest)")
        #expect(try await s.scalar("SELECT t.name FROM tenants t JOIN devices d ON d.tenant_id = t.id")?.string == "1")
    }

    @Test("seed 002: a feed topic with {\"value\": \"25.5\"} stores {feed: 25.5}; a non-number is a dead letter")
    func seed002() async throws {
        let s = try await Self.setup(["user-feeds"])
        defer { Task { await s.stop() } }
        let c = try await s.server.client("kitchen")
        try await c.publish(
            topic: "users/42/devices/kitchen/feeds/temperature", string: "{\"value\": \"25.5\"}", qos: .atLeastOnce)
        try await c.publish(topic: "users/42/devices/kitchen/feeds/humidity", string: "61", qos: .atLeastOnce)
        try await c.publish(
            topic: "users/42/devices/kitchen/feeds/mood", string: "{\"value\": \"happy\"}", qos: .atLeastOnce)
        let rows = try await s.db.query("SELECT data FROM telemetry ORDER BY received_at", [])
        #expect(rows.compactMap { $0.column("data")?.string } == ["{\"temperature\":25.5}", "{\"humidity\":61}"])
        #expect(try await s.scalar("SELECT reason FROM dead_letters")?.string == "no_numeric_value")
        #expect(try await s.scalar("SELECT latest FROM devices")?.string == "{\"temperature\":25.5,\"humidity\":61}")
    }

    @Test("online from the first message, offline at disconnect, each transition kept as an event")
    func status() async throws {
        let s = try await Self.setup()
        defer { Task { await s.stop() } }
        let c = try await s.server.client("dev-s")
        try await c.publish(topic: "t0/devices/dev-s/telemetry", string: "{\"v\":1}", qos: .atLeastOnce)
        #expect(try await s.scalar("SELECT status FROM devices")?.string == "online")
        await c.disconnect()
        try await eventually("the device to go offline") {
            try await s.scalar("SELECT status FROM devices")?.string == "offline"
        }
        let events = try await s.db.query("SELECT online, reason FROM status_events ORDER BY id", [])
        #expect(
            events.map { "\($0.column("online")?.integer ?? -1) \($0.column("reason")?.string ?? "")" } == [
                "1 message", "0 disconnect",
            ])
    }

    @Test("MQTT 5: a msg_id user property or the correlation data makes a payload without msg_id idempotent")
    func v5MessageIDs() async throws {
        let s = try await Self.setup()
        defer { Task { await s.stop() } }
        let c = try await s.server.client("dev-v5")
        var byProperty = Properties()
        byProperty.userProperties = [UserProperty("msg_id", "up-1")]
        var byCorrelation = Properties()
        byCorrelation.correlationData = ByteBuffer(string: "corr-7")
        for props in [byProperty, byProperty, byCorrelation, byCorrelation] {
            try await c.publish(
                topic: "t0/devices/dev-v5/telemetry", payload: ByteBuffer(string: "{\"v\":1}"), qos: .atLeastOnce,
                properties: props)
        }
        let rows = try await s.db.query("SELECT msg_id FROM telemetry ORDER BY msg_id", [])
        #expect(rows.compactMap { $0.column("msg_id")?.string } == ["corr-7", "up-1"])
    }
}
