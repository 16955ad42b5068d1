import Foundation
import RoostStore
import Synchronization
import Testing

@testable import RoostSQLite

/// The checkpointer must let the write-ahead log start over while the writer keeps writing:
/// SQLite restarts the log only when a write begins with every page of it copied back.
@Suite("SQLite checkpoints")
struct SQLiteCheckpointTests {
    /// Frames in the log after `batches` back-to-back batches, with checkpoint rounds running
    /// beside them when `checkpointing`.
    static func logFrames(checkpointing: Bool) async throws -> Int {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("roost-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("roost.sqlite").path
        // No background rounds: the test runs them itself.
        let store = try await SQLiteStore.open(path: path, checkpointInterval: .seconds(3_600))
        let ingest = SQLiteIngestStore(store: store)
        let devices = (0..<50).map { DeviceKey(tenant: "t0", uid: "d\($0)") }
        let ids = try await ingest.resolveDevices(Set(devices), now: 0)
        let finished = Flag()
        let writer = Task {
            defer { finished.value.store(true, ordering: .releasing) }
            for b in 0..<60 {
                var batch = IngestBatch()
                for i in 0..<200 {
                    let device = ids[devices[i % devices.count]]!
                    batch.telemetry.append(
                        TelemetryRecord(
                            device: device, ts: Int64(b * 1_000 + i), receivedAt: 0, msgID: "m\(b)-\(i)",
                            data: "{\"v\":\(i)}"))
                }
                _ = try await ingest.write(batch)
            }
        }
        if checkpointing {
            while !finished.value.load(ordering: .acquiring) {
                try await store.checkpointer.checkpoint()
                try await Task.sleep(for: .milliseconds(20))
            }
        }
        try await writer.value
        // A fresh connection reports the log's length (and copies it, which changes nothing
        // the test reads afterwards).
        let frames = try await SQLiteDirect.open(path: path).run { db in
            let query = try db.statement("PRAGMA wal_checkpoint(PASSIVE)")
            var log = 0
            try query.forEachRow { log = Int($0.int64(1)) }
            return log
        }
        let rows = try await store.read { db in
            var n = 0
            try db.statement("SELECT count(*) FROM telemetry").forEachRow { n = Int($0.int64(0)) }
            return n
        }
        #expect(rows == 60 * 200)
        try await store.close()
        return frames
    }

    @Test("checkpoint rounds beside a busy writer start the log over; without them it only grows")
    func logStartsOver() async throws {
        let without = try await Self.logFrames(checkpointing: false)
        let with = try await Self.logFrames(checkpointing: true)
        #expect(without > 0)
        #expect(with < without / 2, "log frames: \(with) with checkpoint rounds, \(without) without")
    }
}

private final class Flag: Sendable {
    let value = Atomic<Bool>(false)
}
