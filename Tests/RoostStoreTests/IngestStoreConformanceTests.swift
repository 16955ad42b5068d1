import MQTTBroker
import MQTTCore
import NIOCore
import RoostStore
import Testing

/// One suite, both stores: what ingest needs of a store.
@Suite("Store conformance: ingest")
struct IngestStoreConformanceTests {
    static let now: Int64 = 1_700_000_000_000

    @Test("devices are registered once, with their tenants", arguments: StoreKind.allCases)
    func devices(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let a = DeviceKey(tenant: "t0", uid: "dev-a")
        let b = DeviceKey(tenant: "acme", uid: "dev-a")
        let first = try await f.ingest.resolveDevices([a, b], now: Self.now)
        #expect(first.count == 2 && first[a] != first[b])
        let again = try await f.ingest.resolveDevices([a, b], now: Self.now + 1)
        #expect(again == first)
        #expect(try await f.int("SELECT count(*) FROM tenants") == 2)
        #expect(try await f.int("SELECT count(*) FROM devices") == 2)
    }

    @Test(
        "telemetry is idempotent by (device, msg_id); rows without msg_id are all kept", arguments: StoreKind.allCases)
    func idempotent(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let ids = try await f.ingest.resolveDevices([DeviceKey(tenant: "t0", uid: "d")], now: Self.now)
        let device = ids.values.first!
        var batch = IngestBatch()
        for i in 0..<10 {
            batch.telemetry.append(
                TelemetryRecord(
                    device: device, ts: Self.now + Int64(i), receivedAt: Self.now, msgID: "m\(i)", data: "{\"v\":\(i)}")
            )
        }
        batch.telemetry.append(
            TelemetryRecord(
                device: device, ts: Self.now, receivedAt: Self.now, msgID: nil, data: "{\"tab\":\"a\\tb\\\\c\"}"))
        batch.lastSeen[device] = Self.now
        let result = try await f.ingest.write(batch)
        #expect(result == IngestResult(inserted: 11, duplicates: 0, insertedPositions: Set(0..<11)))
        let stored = try await f.ingest.existingMessageIDs([
            DeviceMessageID(device: device, msgID: "m3"), DeviceMessageID(device: device, msgID: "zz"),
        ])
        #expect(stored == [DeviceMessageID(device: device, msgID: "m3")])
        // The same batch again: the ten with ids are duplicates, the one without is new.
        let second = try await f.ingest.write(batch)
        // Which rows were new is reported by position: the one without a msg_id.
        #expect(second == IngestResult(inserted: 1, duplicates: 10, insertedPositions: [10]))
        #expect(try await f.int("SELECT count(*) FROM telemetry") == 12)
        #expect(
            try await f.text("SELECT data::text FROM telemetry WHERE msg_id IS NULL LIMIT 1".sqliteSafe(kind))?
                .contains("a\\tb") == true)
    }

    @Test("latest values merge key by key; older messages do not overwrite newer ones", arguments: StoreKind.allCases)
    func latest(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let device = try await f.ingest.resolveDevices([DeviceKey(tenant: "t0", uid: "d")], now: Self.now).values.first!
        var first = IngestBatch()
        first.latest[device] = LatestValues(ts: 100, data: "{\"temp\":20,\"hum\":50}")
        first.lastSeen[device] = 1_000
        _ = try await f.ingest.write(first)
        var second = IngestBatch()
        second.latest[device] = LatestValues(ts: 200, data: "{\"temp\":21}")
        second.lastSeen[device] = 900
        _ = try await f.ingest.write(second)
        var stale = IngestBatch()
        stale.latest[device] = LatestValues(ts: 150, data: "{\"temp\":-5,\"hum\":0}")
        stale.lastSeen[device] = 950
        _ = try await f.ingest.write(stale)
        let latest = try await f.text("SELECT latest::text FROM devices".sqliteSafe(kind)) ?? ""
        #expect(latest.replacingOccurrences(of: " ", with: "").contains("\"temp\":21"), "\(latest)")
        #expect(latest.replacingOccurrences(of: " ", with: "").contains("\"hum\":50"), "\(latest)")
        #expect(try await f.int("SELECT latest_ts FROM devices") == 200)
        #expect(try await f.int("SELECT last_seen FROM devices") == 1_000)
    }

    @Test("status events are all kept; the newest sets the device state", arguments: StoreKind.allCases)
    func statuses(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let device = try await f.ingest.resolveDevices([DeviceKey(tenant: "t0", uid: "d")], now: Self.now).values.first!
        var batch = IngestBatch()
        batch.statuses = [
            StatusRecord(device: device, online: true, at: 10, reason: "message"),
            StatusRecord(
                device: device, online: false, at: 30, reason: "status_topic", document: "{\"status\":\"offline\"}"),
            StatusRecord(device: device, online: true, at: 20, reason: "connect"),
        ]
        _ = try await f.ingest.write(batch)
        #expect(try await f.text("SELECT status FROM devices") == "offline")
        #expect(try await f.int("SELECT status_at FROM devices") == 30)
        #expect(try await f.int("SELECT count(*) FROM status_events") == 3)
        var older = IngestBatch()
        older.statuses = [StatusRecord(device: device, online: true, at: 25, reason: "late")]
        _ = try await f.ingest.write(older)
        #expect(try await f.text("SELECT status FROM devices") == "offline")
        #expect(try await f.text("SELECT status_doc::text FROM devices".sqliteSafe(kind))?.contains("offline") == true)
    }

    @Test("dead letters keep the payload and the reason", arguments: StoreKind.allCases)
    func deadLetters(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        var batch = IngestBatch()
        batch.deadLetters = [
            DeadLetterRecord(
                device: nil, topic: "t0/devices/x/telemetry", receivedAt: 5, reason: "not_json", detail: "bad",
                payload: [0, 1, 255])
        ]
        _ = try await f.ingest.write(batch)
        #expect(try await f.text("SELECT reason FROM dead_letters") == "not_json")
        #expect(try await f.int("SELECT length(payload) FROM dead_letters") == 3)
    }
}

@Suite("Store conformance: broker persistence")
struct BrokerPersistenceConformanceTests {
    @Test("sessions with pending messages, and retained messages, round trip", arguments: StoreKind.allCases)
    func roundTrip(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        var packet = ByteBuffer()
        PublishPacket(topic: "a/b", payload: ByteBuffer(string: "hello"), qos: .atLeastOnce, packetID: 1).encode(
            version: .v5, into: &packet)
        let session = StoredSession(
            clientID: "c1", expiryInterval: 3600,
            subscriptions: [.init(subscription: Subscription(filter: "a/#", qos: .atLeastOnce), identifier: 7)],
            pending: [StoredMessage(packet: packet, expiresIn: nil), StoredMessage(packet: packet, expiresIn: nil)])
        try await f.broker.saveSession(session)
        try await f.broker.saveSession(session)  // replacing keeps one copy
        let loaded = try await f.broker.loadSessions()
        #expect(loaded.count == 1)
        #expect(loaded.first?.subscriptions == session.subscriptions)
        #expect(loaded.first?.pending.map(\.packet) == session.pending.map(\.packet))
        try await f.broker.deleteSession(clientID: "c1")
        #expect(try await f.broker.loadSessions().isEmpty)
        #expect(try await f.int("SELECT count(*) FROM mqtt_session_messages") == 0)

        try await f.broker.saveRetained(topic: "a/b", message: StoredMessage(packet: packet, expiresIn: nil))
        try await f.broker.saveRetained(topic: "a/b", message: StoredMessage(packet: packet, expiresIn: nil))
        #expect(try await f.broker.loadRetained().count == 1)
        try await f.broker.deleteRetained(topic: "a/b")
        #expect(try await f.broker.loadRetained().isEmpty)
    }
}

extension String {
    /// SQLite has no `::text` casts.
    func sqliteSafe(_ kind: StoreKind) -> String {
        kind == .sqlite ? replacingOccurrences(of: "::text", with: "") : self
    }
}

@Suite("Store conformance: device credentials")
struct CredentialConformanceTests {
    @Test("credentials verify, rotate and stay hashed", arguments: StoreKind.allCases)
    func credentials(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let key = DeviceKey(tenant: "t0", uid: "sensor-1")
        let (identity, first) = try await f.credentials.issueCredentials(for: key, now: 1)
        #expect(identity.key == key)
        #expect(
            try await f.credentials.verifyMQTT(username: first.mqttUsername, password: first.mqttPassword)?.id
                == identity.id)
        #expect(try await f.credentials.verifyMQTT(username: first.mqttUsername, password: "wrong") == nil)
        #expect(try await f.credentials.verifyMQTT(username: "nobody", password: first.mqttPassword) == nil)
        #expect(try await f.credentials.verifyAPIKey(first.apiKey)?.key == key)
        #expect(try await f.credentials.verifyAPIKey(first.apiKey + "x") == nil)
        // Nothing in clear text.
        #expect(try await f.int("SELECT count(*) FROM device_credentials") == 1)
        let (_, second) = try await f.credentials.issueCredentials(for: key, now: 2)
        #expect(try await f.credentials.verifyMQTT(username: first.mqttUsername, password: first.mqttPassword) == nil)
        #expect(try await f.credentials.verifyAPIKey(first.apiKey) == nil)
        #expect(
            try await f.credentials.verifyMQTT(username: second.mqttUsername, password: second.mqttPassword)?.id
                == identity.id)
    }
}
