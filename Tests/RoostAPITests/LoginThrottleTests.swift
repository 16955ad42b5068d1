import Foundation
import MQTTBroker
import MQTTClient
import MQTTCore
import Testing

/// Guessing device secrets: each wrong password of a name is answered later than the last, an
/// address that keeps failing is refused unchecked (0x9F) for the rest of the minute, on MQTT
/// and on HTTP ingest alike; the right secret still logs in while its name is being guessed.
@Suite("Brute-force limits on device logins")
struct LoginThrottleTests {
    @Test("MQTT: growing delays per name, then the address refused (0x9F); HTTP ingest: 401 delayed, then 429")
    func throttled() async throws {
        let server = try await APITestServer.start(.sqlite) { config in
            config.broker.allowAnonymous = false
            config.broker.loginThrottle.failuresPerAddress = 4
            config.broker.loginThrottle.firstDelay = 0.2
            config.broker.loginThrottle.maxDelay = 0.8
        }
        defer { Task { await server.stop() } }
        let created = try await server.http().post("/api/v1/devices", ["uid": "guessed"])
        let credentials = try #require(created.json["credentials"] as? [String: Any])
        let user = try #require(credentials["mqtt_username"] as? String)
        let password = try #require(credentials["mqtt_password"] as? String)

        func attempt(_ secret: String) async -> (Result<Void, any Error>, Duration) {
            let client = server.mqttClient("guessed", username: user, password: secret)
            let started = ContinuousClock.now
            do {
                _ = try await client.connect()
                await client.disconnect()
                return (.success(()), ContinuousClock.now - started)
            } catch {
                return (.failure(error), ContinuousClock.now - started)
            }
        }

        // Wrong secrets: refused 0x86, each answer later than the one before (0.2 s, 0.4 s).
        let (first, firstTime) = await attempt("guess-1")
        let (second, secondTime) = await attempt("guess-2")
        for result in [first, second] {
            #expect(throws: MQTTClientError.connectionRefused(.badUserNameOrPassword)) { try result.get() }
        }
        #expect(firstTime >= .milliseconds(190), "\(firstTime)")
        #expect(secondTime >= .milliseconds(390), "\(secondTime)")
        // The right secret is let in meanwhile, and forgets the name's failures.
        let (right, _) = await attempt(password)
        #expect(throws: Never.self) { try right.get() }

        // Two more failures put 127.0.0.1 at the limit (4 in a minute): refused unchecked now,
        // the right secret too, with 0x9F.
        _ = await attempt("guess-3")
        _ = await attempt("guess-4")
        let (blocked, _) = await attempt(password)
        #expect(throws: MQTTClientError.connectionRefused(.connectionRateExceeded)) { try blocked.get() }
        #expect(server.app.broker.stats.snapshot.loginsThrottled >= 1)

        // HTTP ingest shares the address's record: 429 with Retry-After while it is blocked.
        let ingest = try await server.http(nil).request(
            "POST", "/api/v1/ingest", body: Data(#"{"data":{"v":1}}"#.utf8), headers: ["X-API-Key": "rk_wrong"])
        #expect(ingest.status == 429 && ingest.headers.keys.contains { $0.lowercased() == "retry-after" }, "\(ingest.status) \(ingest.headers)")
        let metrics = try await server.http().get("/metrics")
        #expect(metrics.text.contains("roost_mqtt_logins_throttled_total"))
    }

    @Test("the throttle's windows: per-name delays double to the cap, an address is blocked for the rest of its minute")
    func windows() {
        var limits = LoginThrottle.Limits()
        limits.failuresPerAddress = 3
        limits.firstDelay = 0.25
        limits.maxDelay = 1
        let throttle = LoginThrottle(limits: limits)
        #expect(throttle.failed(address: "10.0.0.1", name: "a", now: 0).delay == 0.25)
        #expect(throttle.failed(address: "10.0.0.2", name: "a", now: 1).delay == 0.5)
        #expect(throttle.failed(address: "10.0.0.3", name: "a", now: 2).delay == 1)
        #expect(throttle.failed(address: "10.0.0.4", name: "a", now: 3).delay == 1)
        throttle.succeeded(name: "a")
        #expect(throttle.failed(address: "10.0.0.5", name: "a", now: 4).delay == 0.25)
        // Address 10.0.0.9: the third failure starts the block, which lasts the rest of the minute.
        #expect(throttle.failed(address: "10.0.0.9", name: nil, now: 10).startsBlock == false)
        #expect(throttle.failed(address: "10.0.0.9", name: nil, now: 11).startsBlock == false)
        #expect(throttle.failed(address: "10.0.0.9", name: nil, now: 12).startsBlock == true)
        #expect(throttle.blocked(address: "10.0.0.9", now: 30) == 40)
        #expect(throttle.blocked(address: "10.0.0.9", now: 71) == nil)
        #expect(throttle.blocked(address: "10.0.0.1", now: 30) == nil)
        #expect(LoginThrottle.host(of: "127.0.0.1:5000") == "127.0.0.1")
        #expect(LoginThrottle.host(of: "[::1]:5000") == "::1")
    }
}
