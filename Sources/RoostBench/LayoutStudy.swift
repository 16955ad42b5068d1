import Foundation
import Logging
import NIOCore
import PostgresNIO
import RoostPostgres
import RoostSQLite
import SQLiteNIO

/// `roost bench --mode layout`: the measurement behind the telemetry table's layout. For each
/// candidate it writes the same rows (1,000 interleaved devices, seed-shaped ~100-byte payloads,
/// three numeric leaves) in the ingest's batch size, then times a 1-day, 1-minute aggregate of
/// two keys over one device holding 10,000 points in that day. Study tables are dropped after.
struct LayoutStudy {
    let database: String
    let dataDir: String
    let rows: Int
    let devices: Int
    let batch: Int

    /// One message as the candidates store it.
    struct Row {
        var device: Int
        var ts: Int64
        var msgID: String
        var payload: String
        var data: String
        var numeric: [(String, Double)]
    }

    static let probeDevice = 1_000_000
    static let probePoints = 10_000
    static let day: Int64 = 86_400_000

    static func makeRow(_ i: Int, device: Int, ts: Int64) -> Row {
        let temp = 20 + Double(i % 1000) / 100
        let hum = Double(40 + i % 20)
        let battery = Double(i % 100)
        let data = "{\"temp\":\(temp),\"hum\":\(hum),\"battery\":\(battery)}"
        let payload = "{\"msg_id\":\"m-\(i)\",\"ts\":\(ts),\"data\":\(data)}"
        return Row(
            device: device, ts: ts, msgID: "m-\(i)", payload: payload, data: data,
            numeric: [("temp", temp), ("hum", hum), ("battery", battery)])
    }

    func run() async throws {
        print("store\tlayout\trows\tingest_rows_per_s\tagg_p50_ms\tagg_max_ms\tbytes_per_row")
        if database == "sqlite" {
            try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
            let path = dataDir + "/layout-study.sqlite"
            for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            let store = try await SQLiteStore.open(path: path, logger: Logger(label: "study"))
            defer { Task { try? await store.close() } }
            for layout in SQLiteLayout.allCases {
                let r = try await SQLiteLayoutRun(store: store, layout: layout, study: self).run()
                print("sqlite\t\(layout)\t\(rows)\t\(r.rate)\t\(r.p50)\t\(r.max)\t\(r.bytesPerRow)")
            }
        } else {
            let pg = try PostgresStore(url: database, logger: Logger(label: "study"))
            let pool = Task.immediate { await pg.run() }
            defer { pool.cancel() }
            for layout in PostgresLayout.allCases {
                let r = try await PostgresLayoutRun(client: pg.client, layout: layout, study: self).run()
                print("postgres\t\(layout)\t\(rows)\t\(r.rate)\t\(r.p50)\t\(r.max)\t\(r.bytesPerRow)")
            }
        }
    }

    /// The rows of batch `n` (interleaved devices), or of the probe device.
    func batches() -> [[Row]] {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        var result: [[Row]] = []
        var i = 0
        while i < rows {
            let n = min(batch, rows - i)
            result.append(
                (i..<(i + n)).map { Self.makeRow($0, device: $0 % devices, ts: now + Int64($0 / devices) * 1000) })
            i += n
        }
        return result
    }

    func probeBatches() -> [[Row]] {
        let start = Int64(1_750_000_000_000)
        let step = Self.day / Int64(Self.probePoints)
        let rows = (0..<Self.probePoints).map {
            Self.makeRow(10_000_000 + $0, device: Self.probeDevice, ts: start + Int64($0) * step)
        }
        return stride(from: 0, to: rows.count, by: batch).map { Array(rows[$0..<min($0 + batch, rows.count)]) }
    }

    /// Ingest rate, aggregate latency (20 runs) and on-disk bytes per row.
    struct Result {
        var rate = ""
        var p50 = ""
        var max = ""
        var bytesPerRow = ""
    }

    static func summarize(written: Int, seconds: Double, timings: [Double], bytes: Int64) -> Result {
        let sorted = timings.sorted()
        return Result(
            rate: String(format: "%.0f", Double(written) / seconds),
            p50: String(format: "%.1f", sorted[sorted.count / 2]),
            max: String(format: "%.1f", sorted.last ?? 0), bytesPerRow: "\(bytes / Int64(max(written, 1)))")
    }

    static func time(_ body: () async throws -> Void) async rethrows -> Double {
        let start = nowNanos()
        try await body()
        return Double(nowNanos() - start) / 1e6
    }
}
