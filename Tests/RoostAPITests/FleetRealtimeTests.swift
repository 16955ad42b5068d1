import Foundation
import RoostServer
import TestSupport
import Testing

/// Realtime across the nodes of a fleet behind Mosquitto: a socket on either node sees what
/// every node ingests, and the command steps any node makes.
@Suite("External broker: realtime across nodes")
struct FleetRealtimeTests {
    @Test("two nodes on one PostgreSQL: sockets on both see every message, whichever node stored it, and each command step")
    func acrossNodes() async throws {
        let mosquitto = try await MosquittoServer(["max_queued_messages 0"])
        let a = try await APITestServer.start(.postgres, configure: ExternalBrokerTests.behind(mosquitto, as: ExternalBrokerTests.nodeID()))
        let b = try await a.node(configure: ExternalBrokerTests.behind(mosquitto, as: ExternalBrokerTests.nodeID()))
        try await afterwards({ await b.stop(); await a.stop(); await mosquitto.stop() }) {
            try await a.waitReady()
            try await b.waitReady()
            let created = try await a.http().post("/api/v1/devices", ["uid": "fleet-1"])
            let id = try #require(created.json["id"] as? Int)
            let sockets = [RealtimeClient(port: a.httpPort, token: a.adminToken), RealtimeClient(port: b.httpPort, token: b.adminToken)]
            for ws in sockets {
                _ = try await ws.next("ready")
                ws.send(["type": "subscribe", "devices": ["fleet-1"]])
                _ = try await ws.next("snapshot")
            }
            func publish(_ lines: [String]) async throws {
                let r = try await ExternalProcess.run(
                    "mosquitto_pub", ["-p", "\(mosquitto.port)", "-q", "1", "-t", "t0/devices/fleet-1/telemetry", "-l"],
                    stdin: lines.joined(separator: "\n") + "\n")
                #expect(r.status == 0, "\(r)")
            }
            func seen(_ ws: RealtimeClient) -> Set<String> { Set(ws.all("telemetry").compactMap { $0["msg_id"] as? String }) }
            // Each node learns the other's interest (a retained message) within moments.
            var probe = 0
            try await eventually("both sockets see a probe", within: 15) {
                probe += 1
                try await publish([#"{"msg_id":"probe-\#(probe)","data":{"p":1}}"#, #"{"msg_id":"probe-\#(probe)b","data":{"p":2}}"#])
                try await Task.sleep(for: .milliseconds(100))
                return sockets.allSatisfy { seen($0).contains { $0.hasPrefix("probe-") } }
            }
            let ids = (0..<40).map { "f\($0)" }
            try await publish(ids.map { #"{"msg_id":"\#($0)","data":{"n":1}}"# })
            for (name, ws) in zip(["a", "b"], sockets) {
                try await eventually("socket on node \(name) sees all 40", within: 10) { seen(ws).isSuperset(of: ids) }
            }
            #expect(a.stored > 0 && b.stored > 0, "both nodes stored some")

            // A command made on node A: the socket on node B sees it queued.
            let sent = try await a.http().post("/api/v1/devices/\(id)/commands", ["command": "reboot"])
            let commandID = try #require(sent.json["id"] as? String)
            try await eventually("node B's socket sees the command", within: 10) {
                sockets[1].all("command").contains { $0["id"] as? String == commandID && $0["status"] as? String == "queued" }
            }
            for ws in sockets { ws.close() }
        }
    }
}
