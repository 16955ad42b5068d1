import Foundation
import Logging
import MQTTBroker
import MQTTCore
import NIOCore
import NIOPosix
import RoostCore
import RoostJSON
import RoostSQLite
import RoostStore
import SQLiteNIO
import Synchronization
import Testing

/// The ingest queue's limit: above it QoS 0 telemetry is dropped and counted, QoS 1 is kept
/// (its publisher waits for the acknowledgement), and what was queued is written once the
/// writer runs.
@Suite("Ingest queue")
struct IngestQueueTests {
    /// The loop the broker would publish from.
    static let loop = MultiThreadedEventLoopGroup.singleton.next()

    /// Runs `body` on an SQLite store in a fresh directory (given its file's path), then closes
    /// the store, also when `body` throws, and removes the directory.
    static func withStore(_ body: (SQLiteStore, String) async throws -> Void) async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("roost-queue-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("roost.sqlite").path
        let store = try await SQLiteStore.open(path: path)
        do {
            try await body(store, path)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    static func message(_ n: Int, qos: QoS) -> Message {
        Message(
            topic: "t0/devices/d\(n % 2)/telemetry", payload: ByteBuffer(string: "{\"msg_id\":\"m\(n)\",\"v\":\(n)}"),
            qos: qos, retain: false, publisherID: "c\(n % 2)")
    }

    @Test("over the limit QoS 0 is dropped and counted, QoS 1 is kept and stored")
    func limit() async throws {
        try await Self.withStore { store, path in try await Self.limit(store, path) }
    }

    static func limit(_ store: SQLiteStore, _ path: String) async throws {
        var configuration = IngestPipeline.Configuration()
        configuration.maxQueue = 6
        let pipeline = IngestPipeline(
            layout: try TopicLayout(presets: ["default"]), store: SQLiteIngestStore(store: store),
            configuration: configuration, logger: Logger(label: "test"))
        // The writer is not running yet: everything stays queued. Two devices come online
        // (a status event each) with their first messages.
        var acks: [EventLoopFuture<Void>] = []
        for n in 0..<4 {
            let info = ClientInfo(clientID: "c\(n % 2)")
            if let ack = pipeline.messagePublished(Self.message(n, qos: .atLeastOnce), from: info, on: Self.loop) { acks.append(ack) }
        }
        #expect(acks.count == 4)
        #expect(pipeline.statistics.queueDepth == 6)
        for n in 4..<7 {
            #expect(
                pipeline.messagePublished(Self.message(n, qos: .atMostOnce), from: ClientInfo(clientID: "c0"), on: Self.loop) == nil)
        }
        #expect(pipeline.statistics.dropped == 3)
        let kept = pipeline.messagePublished(Self.message(7, qos: .atLeastOnce), from: ClientInfo(clientID: "c1"), on: Self.loop)
        #expect(kept != nil && pipeline.statistics.queueDepth == 7)

        let writer = Task { try await pipeline.run() }
        for ack in acks + [kept!] { try await ack.get() }
        pipeline.finish()
        try await writer.value
        let db = try await SQLiteConnection.open(storage: .file(path: path))
        let rows = try await db.query("SELECT msg_id FROM telemetry ORDER BY msg_id", [])
        #expect(rows.compactMap { $0.column("msg_id")?.string } == ["m0", "m1", "m2", "m3", "m7"])
        let events = try await db.query("SELECT count(*) AS n FROM status_events", [])
        #expect(events.first?.column("n")?.integer == 2)
        try await db.close()
    }

    @Test("one acknowledgement for a loop's messages, given only when the last batch holding them commits")
    func commitGroupAcrossBatches() async throws {
        try await Self.withStore { store, path in try await Self.commitGroupAcrossBatches(store, path) }
    }

    static func commitGroupAcrossBatches(_ store: SQLiteStore, _ path: String) async throws {
        let gated = GatedStore(inner: SQLiteIngestStore(store: store))
        var configuration = IngestPipeline.Configuration()
        configuration.batchSize = 4  // 10 messages (and 2 status events): three batches
        let pipeline = IngestPipeline(
            layout: try TopicLayout(presets: ["default"]), store: gated, configuration: configuration,
            logger: Logger(label: "test"))
        var acks: [EventLoopFuture<Void>] = []
        for n in 0..<10 {
            let ack = pipeline.messagePublished(Self.message(n, qos: .atLeastOnce), from: ClientInfo(clientID: "c"), on: Self.loop)
            acks.append(try #require(ack))
        }
        // Queued from one loop before the writer took anything: one commit, one callback.
        #expect(acks.allSatisfy { $0 === acks[0] })
        let acknowledged = Flag()
        acks[0].whenComplete { _ in acknowledged.set() }
        let writer = Task { try await pipeline.run() }
        // The first batch commits; the second waits at the gate.
        await gated.waitForWrites(1)
        try await Task.sleep(for: .milliseconds(100))
        #expect(!acknowledged.isSet, "acknowledged with messages of the group not yet committed")
        gated.open()
        try await acks[0].get()
        pipeline.finish()
        try await writer.value
        #expect(gated.writes >= 3)
        let db = try await SQLiteConnection.open(storage: .file(path: path))
        let rows = try await db.query("SELECT count(*) AS n FROM telemetry", [])
        #expect(rows.first?.column("n")?.integer == 10)
        try await db.close()
    }
}

extension IngestQueueTests {
    @Test("telemetry a publisher attached (HTTP ingest) is stored as attached, without parsing the payload again")
    func preparedTelemetry() async throws {
        try await Self.withStore { store, path in
            let pipeline = IngestPipeline(
                layout: try TopicLayout(presets: ["default"]), store: SQLiteIngestStore(store: store),
                clock: ManualEpochClock(start: 1_700_000_000_000), logger: Logger(label: "test"))
            let raw = #"{"msg_id":"p1","data":{"temp":21.5}}"#
            let prepared = try PayloadNormalizer.telemetry(json: JSONParser.parse(raw), raw: raw)
            // The payload bytes are not even JSON: a parse would make this a dead letter.
            let message = Message(
                topic: "t0/devices/d9/telemetry", payload: ByteBuffer(string: "not json at all"), qos: .atLeastOnce,
                retain: false, publisherID: "http", attachment: PreparedTelemetry(prepared))
            let ack = try #require(pipeline.messagePublished(message, from: ClientInfo(clientID: "http"), on: Self.loop))
            let writer = Task { try await pipeline.run() }
            try await ack.get()
            pipeline.finish()
            try await writer.value
            let db = try await SQLiteConnection.open(storage: .file(path: path))
            let rows = try await db.query("SELECT msg_id, data, received_at FROM telemetry", [])
            let dead = try await db.query("SELECT count(*) AS n FROM dead_letters", [])
            try await db.close()
            #expect(rows.map { $0.column("msg_id")?.string } == ["p1"])
            #expect(rows.first?.column("data")?.string == #"{"temp":21.5}"#)
            #expect(rows.first?.column("received_at")?.integer == 1_700_000_000_000)
            #expect(dead.first?.column("n")?.integer == 0)
        }
    }
}

/// A real store whose second and later writes wait until `open()`: the test sees the state
/// between two batches.
private final class GatedStore: IngestStore {
    let inner: any IngestStore
    private let state = Mutex((writes: 0, open: false))

    init(inner: any IngestStore) { self.inner = inner }

    var writes: Int { state.withLock { $0.writes } }

    func resolveDevices(_ keys: Set<DeviceKey>, now: Int64) async throws -> [DeviceKey: Int64] {
        try await inner.resolveDevices(keys, now: now)
    }

    func existingMessageIDs(_ ids: [DeviceMessageID]) async throws -> Set<DeviceMessageID> {
        try await inner.existingMessageIDs(ids)
    }

    func write(_ batch: IngestBatch) async throws -> IngestResult {
        while state.withLock({ $0.writes >= 1 && !$0.open }) { try await Task.sleep(for: .milliseconds(5)) }
        let result = try await inner.write(batch)
        state.withLock { $0.writes += 1 }
        return result
    }

    func open() { state.withLock { $0.open = true } }

    /// Returns once `n` writes have committed.
    func waitForWrites(_ n: Int) async {
        while writes < n { try? await Task.sleep(for: .milliseconds(5)) }
    }
}

private final class Flag: Sendable {
    private let value = Mutex(false)
    func set() { value.withLock { $0 = true } }
    var isSet: Bool { value.withLock { $0 } }
}
