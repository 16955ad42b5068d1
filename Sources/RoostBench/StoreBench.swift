import Foundation
import Logging
import RoostCore
import RoostPostgres
import RoostSQLite
import RoostStore

/// The raw insert ceiling of a store: the ingest's rows (1,000 interleaved devices, ~100-byte
/// JSON, unique msg_id) written straight through `IngestStore.write` in large batches, with no
/// MQTT and no pipeline in between.
struct StoreBench {
    let database: String
    let dataDir: String
    let rows: Int
    let devices: Int
    let batch: Int
    let label: String
    /// Seed mode: devices `bench/dev-N`, timestamps spread evenly over the day before now
    /// (each device's points cover that day), for the API benchmark.
    var seed = false

    func run() async throws {
        let logger = Logger(label: "bench")
        let store: any IngestStore
        let rollups: any RollupStore
        var stop: @Sendable () -> Void = {}
        if database == "sqlite" {
            try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
            let sqlite = try await SQLiteStore.open(path: dataDir + "/roost.sqlite", logger: logger)
            store = SQLiteIngestStore(store: sqlite)
            rollups = SQLiteAPIStore(store: sqlite)
        } else {
            let pg = try PostgresStore(url: database, logger: logger)
            let pool = Task.immediate { await pg.run() }
            stop = { pool.cancel() }
            try await pg.migrate()
            store = PostgresIngestStore(store: pg)
            rollups = PostgresAPIStore(store: pg)
        }
        defer { stop() }
        let run = UInt32.random(in: 0...UInt32.max)
        let keys = (0..<devices).map { DeviceKey(tenant: "bench", uid: seed ? "dev-\($0)" : "raw-\(run)-\($0)") }
        let ids = try await store.resolveDevices(Set(keys), now: 0)
        let deviceIDs = keys.map { ids[$0]! }
        let start = nowNanos()
        var written = 0
        let perDevice = max(1, rows / devices)
        let dayStart = Int64(Date().timeIntervalSince1970 * 1000) - 86_400_000
        let step = 86_400_000 / Int64(perDevice)
        while written < rows {
            var b = IngestBatch()
            let n = min(batch, rows - written)
            b.telemetry.reserveCapacity(n)
            let now = Int64(Date().timeIntervalSince1970 * 1000)
            for i in written..<(written + n) {
                let device = deviceIDs[i % devices]
                let ts = seed ? dayStart + Int64(i / devices) * step : now
                b.telemetry.append(
                    TelemetryRecord(
                        device: device, ts: ts, receivedAt: now, msgID: "\(run)-\(i)",
                        data: "{\"temp\":\(20 + Double(i % 1000) / 100),\"hum\":\(40 + i % 20),\"battery\":\(i % 100)}")
                )
                b.lastSeen[device] = now
            }
            _ = try await store.write(b)
            written += n
        }
        let seconds = Double(nowNanos() - start) / 1e9
        if seed {
            // What `roost serve` would do in the background: aggregates then read rollups.
            let rollStart = nowNanos()
            let compactor = RollupCompactor(store: rollups, chunk: 200_000)
            let rolled = try await compactor.catchUp()
            let rollSeconds = Double(nowNanos() - rollStart) / 1e9
            print(
                "rolled up \(rolled) rows in \(String(format: "%.1f", rollSeconds)) s (\(String(format: "%.0f", Double(rolled) / rollSeconds)) rows/s)"
            )
            let packStart = nowNanos()
            try await compactor.pack()
            print("packed past hours' rollups in \(String(format: "%.1f", Double(nowNanos() - packStart) / 1e9)) s")
            print("first device id: \(deviceIDs[0])")
        }
        print("label\trows\tdevices\tbatch\tseconds\trows_per_s")
        print(
            "\(label)\t\(rows)\t\(devices)\t\(batch)\t\(String(format: "%.2f", seconds))\t\(String(format: "%.0f", Double(rows) / seconds))"
        )
    }
}
