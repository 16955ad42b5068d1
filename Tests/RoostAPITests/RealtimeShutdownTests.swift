import Foundation
import Testing

@Suite("API: realtime and shutdown")
struct RealtimeShutdownTests {
    @Test("a graceful shutdown closes open realtime sockets with 1001 and completes")
    func shutdownClosesSockets() async throws {
        let server = try await APITestServer.start(.sqlite)
        let ws = RealtimeClient(port: server.httpPort, token: server.adminToken)
        ws.send(["type": "subscribe", "tenant": true])
        _ = try await ws.next("snapshot")
        let stopping = Task { await server.stop() }
        let frame = try await ws.closed(within: 10)
        #expect(frame?.closeCode == .goingAway || frame?.closeCode == .normalClosure, "\(String(describing: frame))")
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await stopping.value }
            group.addTask {
                try await Task.sleep(for: .seconds(20))
                throw TimedOut(what: "the server to stop")
            }
            try await group.next()
            group.cancelAll()
        }
    }
}
