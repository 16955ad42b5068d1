import Foundation
import MQTTClient
import MQTTCore
import RoostCore
import SQLiteNIO
import Testing

/// Presence as devices, gateways and relays produce it, over real sockets into SQLite; the
/// inactivity timeout runs on a clock the test moves.
@Suite("Presence: own connections and gateways")
struct PresenceTests {
    static let start: Int64 = 1_800_000_000_000

    static func setup(_ clock: ManualEpochClock, tenantTimeout: Double? = nil) async throws -> (
        server: TestServer, db: SQLiteConnection, dir: URL
    ) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("roost-presence-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("roost.sqlite").path
        let server = try await TestServer.start(databasePath: path, ingestPresets: ["default", "from-to-device"]) {
            $0.clock = clock
            $0.ingest.presenceSweepInterval = 3600  // the test sweeps by hand
            if let tenantTimeout { $0.ingest.tenantInactivityTimeouts["t0"] = tenantTimeout }
        }
        return (server, try await SQLiteConnection.open(storage: .file(path: path)), dir)
    }

    static func status(_ db: SQLiteConnection, _ uid: String) async throws -> String? {
        try await db.query("SELECT status FROM devices WHERE uid = ?", [.text(uid)]).first?.column("status")?.string
    }

    @Test("a device online before a restart and never heard after it goes offline after its inactivity timeout")
    func restart() async throws {
        let clock = ManualEpochClock(start: Self.start)
        let (server, db, dir) = try await Self.setup(clock)
        // A gateway (it speaks for two devices): its disconnect leaves them online.
        let relay = try await server.client("relay-backend")
        for uid in ["r1", "r2"] {
            try await relay.publish(topic: "from_device/\(uid)/status", string: #"{"status":"online"}"#, qos: .atLeastOnce)
        }
        await relay.disconnect()
        try await eventually("r1 online") { try await Self.status(db, "r1") == "online" }
        try await db.close()
        await server.stop()
        defer { try? FileManager.default.removeItem(at: dir) }

        // The same store, a new process: r1 reads online, and nothing vouches for it.
        clock.advance(by: 100_000)
        let path = dir.appendingPathComponent("roost.sqlite").path
        let again = try await TestServer.start(databasePath: path, ingestPresets: ["default", "from-to-device"]) {
            $0.clock = clock
            $0.ingest.presenceSweepInterval = 3600
        }
        let reopened = try await SQLiteConnection.open(storage: .file(path: path))
        defer {
            Task {
                try? await reopened.close()
                await again.stop()
            }
        }
        #expect(try await Self.status(reopened, "r1") == "online")
        // 300 s from when it was last heard (before the restart), not from the restart.
        clock.advance(by: 199_000)
        #expect(again.app.ingest.sweepInactive() == 0)
        clock.advance(by: 1_000)
        #expect(again.app.ingest.sweepInactive() == 2)
        try await eventually("r1 and r2 offline by inactivity") {
            let (r1, r2) = (try await Self.status(reopened, "r1"), try await Self.status(reopened, "r2"))
            return r1 == "offline" && r2 == "offline"
        }
    }

    @Test("a relay's status payloads for two seed-003 devices outlive its clean disconnect, until the inactivity timeout")
    func gateway() async throws {
        let clock = ManualEpochClock(start: Self.start)
        let (server, db, dir) = try await Self.setup(clock)
        defer {
            Task {
                try? await db.close()
                await server.stop()
                try? FileManager.default.removeItem(at: dir)
            }
        }
        let relay = try await server.client("relay-backend")
        for uid in ["u1", "u2"] {
            try await relay.publish(topic: "from_device/\(uid)/status", string: #"{"status":"online"}"#, qos: .atLeastOnce)
        }
        await relay.disconnect()
        // The disconnect is handled; a device's own connection closing afterwards goes offline
        // at once, which shows the relay's disconnect was seen and left u1 and u2 alone.
        let own = try await server.client("u3")
        try await own.publish(topic: "from_device/u3/event", string: #"{"door":1}"#, qos: .atLeastOnce)
        await own.disconnect()
        try await eventually("u3 offline with its own connection") { try await Self.status(db, "u3") == "offline" }
        let (u1, u2) = (try await Self.status(db, "u1"), try await Self.status(db, "u2"))
        #expect(u1 == "online" && u2 == "online")

        // Still online just before the default 300 s, offline after it.
        clock.advance(by: 299_000)
        #expect(server.app.ingest.sweepInactive() == 0)
        clock.advance(by: 1_000)
        #expect(server.app.ingest.sweepInactive() == 2)
        try await eventually("u1 and u2 offline by inactivity") {
            let (u1, u2) = (try await Self.status(db, "u1"), try await Self.status(db, "u2"))
            return u1 == "offline" && u2 == "offline"
        }
        let reasons = try await db.query(
            "SELECT e.reason FROM status_events e JOIN devices d ON d.id = e.device_id WHERE d.uid = 'u1' ORDER BY e.id", [])
        #expect(reasons.compactMap { $0.column("reason")?.string } == ["status_topic", "inactivity"])
    }

    @Test("a connection that only ever spoke for one device is its own; an explicit offline wins; a tenant's own timeout")
    func singleDeviceAndExplicit() async throws {
        let clock = ManualEpochClock(start: Self.start)
        let (server, db, dir) = try await Self.setup(clock, tenantTimeout: 60)
        defer {
            Task {
                try? await db.close()
                await server.stop()
                try? FileManager.default.removeItem(at: dir)
            }
        }
        let single = try await server.client("sensor-bridge")
        try await single.publish(topic: "t0/devices/lonely/telemetry", string: #"{"t":1}"#, qos: .atLeastOnce)
        await single.disconnect()
        try await eventually("lonely offline at disconnect") { try await Self.status(db, "lonely") == "offline" }

        let gateway = try await server.client("ble-phone")
        for uid in ["tag-a", "tag-b", "tag-c"] {
            try await gateway.publish(topic: "t0/devices/\(uid)/telemetry", string: #"{"rssi":-60}"#, qos: .atLeastOnce)
        }
        // The gateway relays tag-c's explicit offline: that wins at once.
        try await gateway.publish(topic: "t0/devices/tag-c/status", string: #"{"status":"offline"}"#, qos: .atLeastOnce)
        try await eventually("tag-c offline") { try await Self.status(db, "tag-c") == "offline" }
        // tag-a keeps talking through the gateway; tag-b falls silent. The tenant's timeout is 60 s.
        clock.advance(by: 40_000)
        try await gateway.publish(topic: "t0/devices/tag-a/telemetry", string: #"{"rssi":-61}"#, qos: .atLeastOnce)
        clock.advance(by: 20_000)
        #expect(server.app.ingest.sweepInactive() == 1)
        try await eventually("tag-b offline") { try await Self.status(db, "tag-b") == "offline" }
        #expect(try await Self.status(db, "tag-a") == "online")
        // With the gateway still connected, tag-a is also timed out once silent.
        clock.advance(by: 60_000)
        #expect(server.app.ingest.sweepInactive() == 1)
        await gateway.disconnect()
    }
}
