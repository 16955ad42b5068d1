import Foundation
import Histogram
import HummingbirdWSClient
import Logging
import MQTTClient
import MQTTCore
import NIOConcurrencyHelpers
import NIOCore

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Command round trip against `roost serve`: a device (the project's MQTTClient, logged in with
/// credentials the API issued) answers every command at once; the bench sends commands through
/// the REST API at a fixed rate and times each from the POST to the realtime WebSocket's
/// `succeeded` event for it (API call → store → MQTT → device ack → store → socket).
struct CommandBench {
    let host: String
    let mqttPort: Int
    let httpPort: Int
    let email: String
    let password: String
    let rate: Int
    let duration: Double
    let label: String

    func run() async throws {
        let logger = Logger(label: "bench")
        let api = BenchHTTP(base: "http://\(host):\(httpPort)")
        let token = try await api.login(email: email, password: password)
        let uid = "cmd-bench-\(UInt32.random(in: 0...UInt32.max))"
        let device = try await api.json("POST", "/api/v1/devices", ["uid": uid], token: token)  // the default tenant, t0
        guard let credentials = device["credentials"] as? [String: Any], let user = credentials["mqtt_username"] as? String,
            let secret = credentials["mqtt_password"] as? String, let tenant = device["tenant"] as? String
        else { throw BenchError("creating the bench device failed: \(device)") }

        var config = MQTTClientConfiguration(host: host, port: mqttPort, clientID: uid, protocolVersion: .v5)
        (config.username, config.password) = (user, secret)
        let client = MQTTClient(configuration: config, logger: logger)
        let inbox = client.messages()
        try await client.connect()
        _ = try await client.subscribe([Subscription(filter: "\(tenant)/devices/\(uid)/commands", qos: .atLeastOnce)])
        let answering = Task {
            for await packet in inbox {
                guard let json = try? JSONSerialization.jsonObject(with: Data(packet.payload.readableBytesView)) as? [String: Any],
                    let id = json["id"] as? String
                else { continue }
                try? await client.publish(
                    topic: "\(tenant)/devices/\(uid)/commands/ack", string: #"{"id":"\#(id)","status":"ok"}"#,
                    qos: .atLeastOnce)
            }
        }

        // Send times by command id; the socket's `succeeded` event closes each.
        let started = NIOLockedValueBox<[String: UInt64]>([:])
        let early = NIOLockedValueBox<[String: UInt64]>([:])
        let stats = NIOLockedValueBox(
            (done: 0, histogram: Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)))
        @Sendable func finish(_ id: String, at end: UInt64, from start: UInt64) {
            stats.withLockedValue { s in
                s.done += 1
                _ = s.histogram.record((end - min(start, end)) / 1000)
            }
        }
        let subscribed = NIOLockedValueBox(false)
        let socket = Task {
            try await WebSocketClient.connect(url: "ws://\(host):\(httpPort)/api/v1/realtime?token=\(token)", logger: logger) {
                inbound, outbound, _ in
                try await outbound.write(.text(#"{"type":"subscribe","devices":["\#(uid)"],"kinds":["command"]}"#))
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .text(let text) = message else { continue }
                    if text.hasPrefix(#"{"type":"snapshot""#) { subscribed.withLockedValue { $0 = true } }
                    guard text.hasPrefix(#"{"type":"command""#), text.contains(#""status":"succeeded""#),
                        let range = text.range(of: #""id":""#)
                    else { continue }
                    let id = String(text[range.upperBound...].prefix { $0 != "\"" })
                    let now = nowNanos()
                    if let start = started.withLockedValue({ $0.removeValue(forKey: id) }) {
                        finish(id, at: now, from: start)
                    } else {
                        early.withLockedValue { $0[id] = now }
                    }
                }
            }
        }
        let deadline = nowNanos() + 10_000_000_000
        while !subscribed.withLockedValue({ $0 }) {
            guard nowNanos() < deadline else { throw BenchError("the realtime socket did not subscribe") }
            try await Task.sleep(for: .milliseconds(10))
        }

        let start = nowNanos()
        let end = start + UInt64(duration * 1e9)
        let claimed = NIOLockedValueBox(0)
        let failures = NIOLockedValueBox(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    while true {
                        let n = claimed.withLockedValue { c -> Int in
                            c += 1
                            return c - 1
                        }
                        let due = start + UInt64(Double(n) / Double(rate) * 1e9)
                        guard due < end else { return }
                        let now = nowNanos()
                        if due > now { try await Task.sleep(for: .nanoseconds(Int(due - now))) }
                        let sent = nowNanos()
                        let reply = try? await api.json(
                            "POST", "/api/v1/devices/\(uid)/commands", ["command": "noop", "params": ["n": n]], token: token)
                        guard let id = reply?["id"] as? String else {
                            failures.withLockedValue { $0 += 1 }
                            continue
                        }
                        if let at = early.withLockedValue({ $0.removeValue(forKey: id) }) {
                            finish(id, at: at, from: sent)
                        } else {
                            started.withLockedValue { $0[id] = sent }
                        }
                    }
                }
            }
            try await group.waitForAll()
        }
        let sent = claimed.withLockedValue { $0 } - 16
        let drain = nowNanos() + 10_000_000_000
        while nowNanos() < drain, stats.withLockedValue({ $0.done }) + failures.withLockedValue({ $0 }) < sent {
            try await Task.sleep(for: .milliseconds(20))
        }
        socket.cancel()
        answering.cancel()
        await client.disconnect()
        _ = try? await api.json("DELETE", "/api/v1/devices/\(uid)", nil, token: token)
        let result = stats.withLockedValue { $0 }
        func ms(_ p: Double) -> String {
            result.histogram.totalCount == 0 ? "-" : String(format: "%.2f", Double(result.histogram.valueAtPercentile(p)) / 1000)
        }
        print("label\trate\tsent\tsucceeded\tfailed\tp50_ms\tp99_ms\tp999_ms")
        print(
            [label, "\(rate)", "\(sent)", "\(result.done)", "\(failures.withLockedValue { $0 })", ms(50), ms(99), ms(99.9)]
                .joined(separator: "\t"))
    }
}

/// The few REST calls the benchmarks make.
struct BenchHTTP: Sendable {
    let base: String

    func login(email: String, password: String) async throws -> String {
        let json = try await self.json("POST", "/api/v1/auth/login", ["email": email, "password": password], token: nil)
        guard let token = json["access_token"] as? String else { throw BenchError("login failed: \(json)") }
        return token
    }

    func json(_ method: String, _ path: String, _ body: [String: Any]?, token: String?) async throws -> [String: Any] {
        var request = URLRequest(url: URL(string: base + path)!)
        request.httpMethod = method
        if let body {
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
        }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, _) = try await URLSession.shared.data(for: request)
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }
}
