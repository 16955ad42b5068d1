import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import Testing

/// Two ingest writers committing at once (PostgreSQL's default): every acknowledged message is
/// stored exactly once, duplicates included, and nothing deadlocks on the device rows.
@Suite("Ingest: concurrent writers")
struct ConcurrentWriterTests {
    @Test("two writers: all acked, each msg_id stored once, retries change nothing", arguments: StoreKind.allCases)
    func twoWriters(_ kind: StoreKind) async throws {
        let server = try await APITestServer.start(kind, writers: 2)
        defer { Task { await server.stop() } }
        let lanes = 20
        let perLane = 150
        try await withThrowingTaskGroup(of: Void.self) { group in
            for lane in 0..<lanes {
                group.addTask {
                    let client = server.mqttClient("lane-\(lane)")
                    try await client.connect()
                    // Every lane writes to a few shared devices, so concurrent batches update
                    // the same device rows; every third message is sent twice.
                    for i in 0..<perLane {
                        let device = "shared-\(i % 5)"
                        let payload = ByteBuffer(string: #"{"msg_id":"l\#(lane)-\#(i)","data":{"v":\#(i)}}"#)
                        let ack = try await client.publish(
                            topic: "t0/devices/\(device)/telemetry", payload: payload, qos: .atLeastOnce)
                        #expect(ack?.reasonCode == .success)
                        if i % 3 == 0 {
                            try await client.publish(
                                topic: "t0/devices/\(device)/telemetry", payload: payload, qos: .atLeastOnce)
                        }
                    }
                    try await client.disconnect()
                }
            }
            try await group.waitForAll()
        }
        let admin = server.http()
        var total = 0
        for d in 0..<5 {
            let export = try await admin.get("/api/v1/devices/shared-\(d)/export")
            let ids = export.text.split(separator: "\n").compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["msg_id"] as? String
            }
            #expect(Set(ids).count == ids.count, "duplicates stored for shared-\(d)")
            total += ids.count
        }
        #expect(total == lanes * perLane)
        let stats = try await admin.get("/api/v1/stats")
        #expect(stats.json["duplicates"] as? Int == lanes * (perLane / 3))
    }
}
