import RoostStore
import Testing

@Suite("Ingest batch")
struct IngestBatchTests {
    @Test("rows are written grouped by device, arrival order kept within each device")
    func groupedByDevice() {
        var batch = IngestBatch()
        let arrivals: [(Int64, String)] = [(3, "a"), (1, "b"), (3, "c"), (2, "d"), (1, "e"), (3, "f")]
        for (device, msg) in arrivals {
            batch.telemetry.append(TelemetryRecord(device: device, ts: 0, receivedAt: 0, msgID: msg, data: "{}"))
        }
        #expect(batch.telemetryByDevice.map(\.msgID) == ["b", "e", "d", "a", "c", "f"])
        #expect(batch.telemetry.map(\.msgID) == ["a", "b", "c", "d", "e", "f"])
    }
}
