import Foundation
import MQTTClient
import MQTTCore
import RoostCore
import RoostServer
import Testing

/// Schedules over real sockets and an injected clock (no sleeps decide anything): a device on
/// MQTT gets the scheduled command and answers it; due times fire once across restarts and
/// across two schedulers on one store; a run missed while down fires within the grace, else is
/// recorded as skipped. Both stores.
@Suite("API: schedules")
struct ScheduleTests {
    static func runs(_ server: APITestServer, _ id: Int) async throws -> [[String: Any]] {
        try await server.http().get("/api/v1/schedules/\(id)/runs").items
    }

    /// Lets the server's scheduler look (it ticks every 20 ms) without moving the clock.
    static func settle() async throws { try await Task.sleep(for: .milliseconds(150)) }

    @Test("every 60 s: fires once per due time, across restarts and a second scheduler; missed runs within the grace",
        arguments: StoreKind.allCases)
    func exactlyOnce(_ kind: StoreKind) async throws {
        let clock = ManualEpochClock(start: SystemEpochClock().nowMilliseconds())
        let t0 = clock.nowMilliseconds()
        let first = try await APITestServer.start(kind) { c in
            c.clock = clock
            c.schedules.tick = 0.02
        }
        var server = first
        do {
            let (id, make) = try await CommandTests.device(server, "pump")
            let device = try await CommandTests.online(make(server.mqttPort), id: id, uid: "pump")
            let created = try await server.http().post(
                "/api/v1/schedules", ["device": "pump", "command": "flush", "params": ["s": 1], "every_s": 60])
            #expect(created.status == 201, "\(created.text)")
            let sid = try #require(created.json["id"] as? Int)
            #expect(created.json["next_run_at"] as? String == APIClock.rfc3339(t0 + 60_000))
            try await Self.settle()
            #expect(try await Self.runs(server, sid).isEmpty)

            clock.advance(by: 60_000)
            let (payload, _) = try await device.nextCommand()
            #expect(payload["command"] as? String == "flush")
            let commandID = try #require(payload["id"] as? String)
            try await device.answer(commandID, uid: "pump")
            try await eventually("succeeded") { try await CommandTests.status(server, commandID) == "succeeded" }
            let command = try await server.http().get("/api/v1/commands/\(commandID)").json
            #expect(command["created_by"] as? String == "schedule:\(sid)")
            var runs = try await Self.runs(server, sid)
            #expect(runs.count == 1 && runs[0]["status"] as? String == "fired")
            #expect(runs[0]["commands"] as? [String] == [commandID])
            #expect(runs[0]["due_at"] as? String == APIClock.rfc3339(t0 + 60_000))

            // A second scheduler on the same store races the server's for the next due time.
            clock.advance(by: 60_000)
            let rival = Scheduler(store: server.app.stores.api, commands: try #require(server.app.api.commands), clock: clock)
            async let a = rival.runDue()
            async let b = rival.runDue()
            _ = try await (a, b)
            try await eventually("second run") {
                let runs = try await Self.runs(server, sid)
                return runs.count == 2 && runs[0]["status"] as? String == "fired"
            }
            try await Self.settle()
            #expect(try await Self.runs(server, sid).count == 2)
            await device.client.disconnect()

            // A restart fires nothing again; a due time missed while down fires on start (30 s
            // late, within the 60 s grace) and says so.
            server = try await first.restarted()
            try await Self.settle()
            #expect(try await Self.runs(server, sid).count == 2)
            server = try await server.restarted(whileDown: { clock.advance(by: 90_000) })
            try await eventually("missed run fired") {
                let runs = try await Self.runs(server, sid)
                return runs.count == 3 && runs[0]["status"] as? String == "fired"
            }
            runs = try await Self.runs(server, sid)
            #expect(runs[0]["due_at"] as? String == APIClock.rfc3339(t0 + 180_000))
            #expect(runs[0]["status"] as? String == "fired")
            let schedule = try await server.http().get("/api/v1/schedules/\(sid)").json
            #expect(schedule["next_run_at"] as? String == APIClock.rfc3339(t0 + 240_000))
            // Queued: the device is away.
            #expect(try await server.http().get("/api/v1/devices/pump/commands?status=queued").items.count == 1)
            #expect(try await server.http().get("/api/v1/devices/pump/commands").items.count == 3)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }

    @Test("a one-shot missed past the grace is recorded as skipped; label selectors; checks and access")
    func skippedAndSelectors() async throws {
        let clock = ManualEpochClock(start: SystemEpochClock().nowMilliseconds())
        let first = try await APITestServer.start(.sqlite) { c in
            c.clock = clock
            c.schedules.tick = 0.02
        }
        var server = first
        do {
            let api = server.http()
            for (uid, site) in [("a1", "a"), ("a2", "a"), ("b1", "b")] {
                #expect(try await api.post("/api/v1/devices", ["uid": uid, "labels": ["site": site]]).status == 201)
            }
            let soon = APIClock.rfc3339(clock.nowMilliseconds() + 10_000)
            let once = try await api.post(
                "/api/v1/schedules", ["labels": ["site": "a"], "command": "water", "at": soon, "tenant": "t0"])
            #expect(once.status == 201, "\(once.text)")
            let onceID = try #require(once.json["id"] as? Int)
            let site = try await api.post(
                "/api/v1/schedules",
                ["labels": ["site": "a"], "command": "report", "cron": "*/5 * * * *", "tz": "Europe/Berlin", "tenant": "t0"])
            #expect(site.status == 201 && site.json["tz"] as? String == "Europe/Berlin", "\(site.text)")
            let siteID = try #require(site.json["id"] as? Int)

            server = try await first.restarted(whileDown: { clock.advance(by: 130_000) })
            try await eventually("skipped") { try await Self.runs(server, onceID).count == 1 }
            let skipped = try await Self.runs(server, onceID)[0]
            #expect(skipped["status"] as? String == "skipped" && (skipped["detail"] as? String)?.contains("grace") == true)
            #expect(try await server.http().get("/api/v1/schedules/\(onceID)").json["next_run_at"] is NSNull)

            // To the cron's next due time (a jump past it by more than the grace would be a miss).
            let nextText = try #require(try await server.http().get("/api/v1/schedules/\(siteID)").json["next_run_at"] as? String)
            let format = ISO8601DateFormatter()
            format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            let next = try #require(format.date(from: nextText))
            #expect(Calendar.current.component(.second, from: next) == 0)
            clock.set(Int64(next.timeIntervalSince1970 * 1000) + 1000)
            do {
                try await eventually("cron fired") {
                    try await Self.runs(server, siteID).contains { $0["status"] as? String == "fired" }
                }
            } catch {
                Issue.record("runs: \(try await Self.runs(server, siteID)); schedule: \(try await server.http().get("/api/v1/schedules/\(siteID)").text)")
                throw error
            }
            let fired = try await Self.runs(server, siteID).first { $0["status"] as? String == "fired" }
            #expect((fired?["commands"] as? [String])?.count == 2)
            for uid in ["a1", "a2"] {
                #expect(try await server.http().get("/api/v1/devices/\(uid)/commands").items.first?["command"] as? String == "report")
            }
            #expect(try await server.http().get("/api/v1/devices/b1/commands").items.isEmpty)

            let http = server.http()
            let bad: [[String: Any]] = [
                ["device": "a1", "every_s": 60],
                ["device": "a1", "command": "x"],
                ["device": "a1", "command": "x", "every_s": 0],
                ["device": "a1", "command": "x", "every_s": 5, "cron": "* * * * *"],
                ["device": "a1", "command": "x", "cron": "61 * * * *"],
                ["device": "a1", "command": "x", "cron": "* * * * *", "tz": "Nowhere/City"],
                ["device": "a1", "command": "x", "at": "2001-01-01T00:00:00Z"],
                ["device": "a1", "command": "x", "at": "tomorrow"],
                ["device": "a1", "labels": ["a": "b"], "command": "x", "every_s": 5],
                ["command": "x", "every_s": 5, "tenant": "t0"],
                ["device": "a1", "command": "x", "every_s": 5, "params": [1]],
            ]
            for body in bad {
                let reply = try await http.post("/api/v1/schedules", body)
                #expect(reply.status == 422, "\(body): \(reply.status) \(reply.text)")
            }
            let patched = try await http.patch("/api/v1/schedules/\(siteID)", ["every_s": 3600, "enabled": false])
            #expect(patched.json["every_s"] as? Int == 3600 && patched.json["next_run_at"] is NSNull, "\(patched.text)")
            #expect(try await http.get("/api/v1/schedules").items.count == 2)

            let t0ID = try #require(try await http.get("/api/v1/tenants").items.first { $0["name"] as? String == "t0" }?["id"] as? Int)
            _ = try await http.post("/api/v1/users", ["email": "v@t0.io", "password": "viewer-pass-1", "role": "viewer", "tenant_id": t0ID])
            _ = try await http.post("/api/v1/tenants", ["name": "other"])
            let other = try #require(try await http.get("/api/v1/tenants").items.first { $0["name"] as? String == "other" }?["id"] as? Int)
            _ = try await http.post("/api/v1/users", ["email": "a@other.io", "password": "other-pass-1", "role": "tenant_admin", "tenant_id": other])
            let viewer = server.http(try await server.login("v@t0.io", "viewer-pass-1"))
            let stranger = server.http(try await server.login("a@other.io", "other-pass-1"))
            #expect(try await viewer.get("/api/v1/schedules/\(siteID)/runs").status == 200)
            #expect(try await viewer.post("/api/v1/schedules", ["device": "a1", "command": "x", "every_s": 5]).status == 403)
            #expect(try await viewer.delete("/api/v1/schedules/\(siteID)").status == 403)
            #expect(try await stranger.get("/api/v1/schedules/\(siteID)").status == 404)
            #expect(try await stranger.get("/api/v1/schedules").items.isEmpty)
            #expect(try await stranger.post("/api/v1/schedules", ["device": "a1", "command": "x", "every_s": 5]).status == 404)
            #expect(try await http.delete("/api/v1/schedules/\(siteID)").status == 204)
            #expect(try await http.get("/api/v1/schedules/\(siteID)/runs").status == 404)
        } catch {
            await server.stop()
            throw error
        }
        await server.stop()
    }
}

/// RFC 3339 with milliseconds, as the API writes times.
enum APIClock {
    static func rfc3339(_ ms: Int64) -> String { Timestamp.rfc3339(epochMilliseconds: ms) }
}
