import Foundation
import Logging
import MQTTBroker
import MQTTCore
import NIOCore
import NIOPosix
import RoostCore
import RoostSQLite
import SQLiteNIO
import Testing

/// The ingest queue's limit: above it QoS 0 telemetry is dropped and counted, QoS 1 is kept
/// (its publisher waits for the acknowledgement), and what was queued is written once the
/// writer runs.
@Suite("Ingest queue")
struct IngestQueueTests {
    static func message(_ n: Int, qos: QoS) -> Message {
        Message(
            topic: "t0/devices/d\(n % 2)/telemetry", payload: ByteBuffer(string: "{\"msg_id\":\"m\(n)\",\"v\":\(n)}"),
            qos: qos, retain: false, publisherID: "c\(n % 2)")
    }

    @Test("over the limit QoS 0 is dropped and counted, QoS 1 is kept and stored")
    func limit() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("roost-queue-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("roost.sqlite").path
        let store = try await SQLiteStore.open(path: path)
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
            if let ack = pipeline.messagePublished(Self.message(n, qos: .atLeastOnce), from: info) { acks.append(ack) }
        }
        #expect(acks.count == 4)
        #expect(pipeline.statistics.queueDepth == 6)
        for n in 4..<7 {
            #expect(
                pipeline.messagePublished(Self.message(n, qos: .atMostOnce), from: ClientInfo(clientID: "c0")) == nil)
        }
        #expect(pipeline.statistics.dropped == 3)
        let kept = pipeline.messagePublished(Self.message(7, qos: .atLeastOnce), from: ClientInfo(clientID: "c1"))
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
        try await store.close()
    }
}
