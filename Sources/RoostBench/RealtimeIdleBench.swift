import Foundation
import HummingbirdWSClient
import Logging
import NIOConcurrencyHelpers

/// Idle realtime sockets: opens `sockets` WebSockets to `roost serve`, each subscribed to the
/// whole tenant, prints `ready N` once all have their snapshot, holds them `hold` seconds (the
/// script reads the server's RSS meanwhile) and closes them.
struct RealtimeIdleBench {
    let host: String
    let httpPort: Int
    let email: String
    let password: String
    let sockets: Int
    let hold: Double

    func run() async throws {
        let logger = Logger(label: "bench")
        let token = try await BenchHTTP(base: "http://\(host):\(httpPort)").login(email: email, password: password)
        let ready = NIOLockedValueBox(0)
        let failed = NIOLockedValueBox(0)
        let url = "ws://\(host):\(httpPort)/api/v1/realtime?token=\(token)"
        var clients: [Task<Void, Never>] = []
        for n in 0..<sockets {
            clients.append(
                Task {
                    do {
                        try await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
                            try await outbound.write(.text(#"{"type":"subscribe","tenant":true}"#))
                            for try await message in inbound.messages(maxSize: 1 << 22) {
                                guard case .text(let text) = message, text.hasPrefix(#"{"type":"snapshot""#) else { continue }
                                ready.withLockedValue { $0 += 1 }
                            }
                        }
                    } catch {
                        failed.withLockedValue { $0 += 1 }
                    }
                })
            // Connect in waves so that the listen backlog keeps up.
            if n % 200 == 199 { try await Task.sleep(for: .milliseconds(50)) }
        }
        let deadline = nowNanos() + 120_000_000_000
        while ready.withLockedValue({ $0 }) + failed.withLockedValue({ $0 }) < sockets, nowNanos() < deadline {
            try await Task.sleep(for: .milliseconds(100))
        }
        // Written at once (not through print's buffer): the script waits for this line.
        FileHandle.standardOutput.write(
            Data("ready \(ready.withLockedValue { $0 }) failed \(failed.withLockedValue { $0 })\n".utf8))
        try await Task.sleep(for: .milliseconds(Int(hold * 1000)))
        for client in clients { client.cancel() }
    }
}
