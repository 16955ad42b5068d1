import Foundation
import MQTTClient
import TestSupport
import MQTTCore
import NIOCore
import Testing

/// The `roost` binary against a running server, as a user's shell runs it: its own HOME (the
/// credentials file), stdin for the password, exit codes as docs/cli.md documents them.
@Suite("roost CLI against a server")
struct CLITests {
    /// `roost` with HOME in a directory of its own, started with posix_spawn (Foundation's
    /// Process crashed in full test runs; see TestSupport).
    final class CLI: Sendable {
        let home: URL
        let server: String

        init(httpPort: Int) throws {
            home = FileManager.default.temporaryDirectory.appendingPathComponent("roost-cli-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
            server = "http://127.0.0.1:\(httpPort)"
        }

        deinit { try? FileManager.default.removeItem(at: home) }

        static var binary: String {
            SchemathesisTests.root.appendingPathComponent(".build/debug/roost").path
        }

        func environment(_ extra: [String: String]) -> [String: String] {
            var env = ProcessInfo.processInfo.environment
            env["HOME"] = home.path
            for key in ["XDG_CONFIG_HOME", "ROOST_SERVER", "ROOST_TOKEN"] { env[key] = nil }
            for (key, value) in extra { env[key] = value }
            return env
        }

        func start(_ arguments: [String], environment extra: [String: String] = [:]) throws -> ExternalProcess.Running {
            try ExternalProcess.Running(Self.binary, arguments, environment: environment(extra), separateErrors: true)
        }

        func run(_ arguments: [String], stdin: String? = nil, environment extra: [String: String] = [:], timeout: Double = 20)
            async throws -> Run
        {
            let result = try await ExternalProcess.run(
                Self.binary, arguments, environment: environment(extra), stdin: stdin.map { $0 + "\n" }, separateErrors: true,
                timeout: timeout)
            return Run(result)
        }
    }

    /// A finished run: exit status, stdout, stderr.
    struct Run: CustomStringConvertible {
        var status: Int32
        var out: String
        var err: String
        init(_ result: ExternalProcess.Result) { (status, out, err) = (result.status, result.output, result.errors) }
        var description: String { "exit \(status)\nstdout: \(out)\nstderr: \(err)" }
    }

    @Test("login, whoami, devices, tail, command send --wait, export, logout; exit codes and messages")
    func endToEnd() async throws {
        let server = try await APITestServer.start(.sqlite)
        defer { Task { await server.stop() } }
        let cli = try CLI(httpPort: server.httpPort)
        let s = ["--server", cli.server]

        // Not logged in yet: exit 4 with what to do.
        let anonymous = try await cli.run(["whoami"] + s)
        #expect(anonymous.status == 4 && anonymous.err.contains("roost login"), "\(anonymous)")
        let wrong = try await cli.run(
            ["login", cli.server, "--email", APITestServer.adminEmail, "--password-stdin"], stdin: "not-the-password")
        #expect(wrong.status == 4 && wrong.err.contains("wrong email or password"), "\(wrong)")
        let login = try await cli.run(
            ["login", cli.server, "--email", APITestServer.adminEmail, "--password-stdin"], stdin: APITestServer.adminPassword)
        #expect(login.status == 0, "\(login)")
        let file = cli.home.appendingPathComponent(".config/roost/credentials").path
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(!(try String(contentsOfFile: file, encoding: .utf8)).contains(APITestServer.adminPassword))
        // The last login is the default server from now on.
        let me = try await cli.run(["whoami"])
        #expect(me.status == 0 && me.out.contains(APITestServer.adminEmail) && me.out.contains("platform_admin"), "\(me)")

        // Devices over the API.
        let created = try await cli.run(["device", "create", "--uid", "cli-pump"] + s)
        #expect(created.status == 0 && created.err.contains("mosquitto_pub"), "\(created)")
        let credentials = try #require(
            (try JSONSerialization.jsonObject(with: Data(created.out.utf8)) as? [String: Any])?["credentials"] as? [String: Any])
        let list = try await cli.run(["device", "list"])
        #expect(list.status == 0 && list.out.contains("cli-pump") && list.out.contains("STATUS"), "\(list)")
        let missing = try await cli.run(["device", "show", "no-such-device"])
        #expect(missing.status == 3 && missing.err.contains("not found"), "\(missing)")

        // The device, on MQTT with the credentials the CLI printed, answering commands.
        let device = server.mqttClient(
            "cli-pump", username: credentials["mqtt_username"] as? String, password: credentials["mqtt_password"] as? String)
        let inbox = device.messages()
        try await device.connect()
        defer { Task { await device.disconnect() } }
        _ = try await device.subscribe([Subscription(filter: "t0/devices/cli-pump/commands", qos: .atLeastOnce)])
        let answering = Task {
            for await packet in inbox {
                guard let command = try? JSONSerialization.jsonObject(with: Data(packet.payload.readableBytesView)) as? [String: Any],
                    let id = command["id"] as? String
                else { continue }
                let ok = command["command"] as? String != "explode"
                let answer: [String: Any] = ["id": id, "status": ok ? "ok" : "error", "result": ["params": command["params"] ?? [:]]]
                let text = String(decoding: try JSONSerialization.data(withJSONObject: answer), as: UTF8.self)
                try? await device.publish(topic: "t0/devices/cli-pump/commands/ack", string: text, qos: .atLeastOnce)
            }
        }
        defer { answering.cancel() }

        // tail: NDJSON of live events, ended by --count.
        let tail = try cli.start(["tail", "--device", "cli-pump", "--kinds", "telemetry", "--json", "--count", "2"])
        try await Task.sleep(for: .milliseconds(1500))  // subscribed (its snapshot comes first)
        for n in 1...2 {
            try await device.publish(
                topic: "t0/devices/cli-pump/telemetry", string: #"{"msg_id":"cli-\#(n)","data":{"temp":2\#(n).5}}"#,
                qos: .atLeastOnce)
        }
        let tailed = Run(await tail.wait(timeout: 15))
        let events = tailed.out.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(tailed.status == 0 && events.count == 2, "\(tailed)")
        #expect(events.map { ($0["data"] as? [String: Any])?["temp"] as? Double } == [21.5, 22.5])

        // command send --wait: 0 on succeeded with the device's result, 1 on failed.
        let sent = try await cli.run(["command", "send", "cli-pump", "set_speed", "--param", "rpm=1200", "--param", "mode=eco", "--wait"])
        #expect(sent.status == 0 && sent.out.contains("succeeded") && sent.out.contains(#""rpm":1200"#), "\(sent)")
        #expect(sent.out.range(of: "sent")!.lowerBound < sent.out.range(of: "succeeded")!.lowerBound)
        let exploded = try await cli.run(["command", "send", "cli-pump", "explode", "--wait"])
        #expect(exploded.status == 1 && exploded.out.contains("failed") && exploded.err.contains("failed"), "\(exploded)")

        // export: the stored rows, streamed to a file.
        let output = cli.home.appendingPathComponent("export.csv").path
        let exported = try await cli.run(["export", "cli-pump", "--format", "csv", "--output", output])
        #expect(exported.status == 0, "\(exported)")
        let csv = try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n")
        #expect(csv.count == 3 && csv[0].hasPrefix("ts,") && csv[1].contains("cli-1"), "\(csv)")

        // Usage errors are 2; a server that is not there is 1 with a hint.
        let usage = try await cli.run(["tail", "--kinds", "weather"])
        #expect(usage.status == 2 && usage.err.contains("unknown kind"), "\(usage)")
        let down = try await cli.run(["whoami", "--server", "http://127.0.0.1:1"], environment: ["ROOST_TOKEN": "x"])
        #expect(down.status == 1 && down.err.contains("is `roost serve` running?"), "\(down)")

        // logout: the refresh token is revoked and the session forgotten.
        let stored = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: file))) as? [String: Any]
        let refresh = try #require(((stored?["servers"] as? [String: Any])?[cli.server] as? [String: Any])?["refresh_token"] as? String)
        #expect(try await cli.run(["logout"]).status == 0)
        #expect(try await cli.run(["whoami"] + s).status == 4)
        let reuse = try await server.http().post("/api/v1/auth/refresh", ["refresh_token": refresh])
        #expect(reuse.status == 401)
    }

    @Test("an expired access token is refreshed and saved; a viewer's command is refused with exit 4")
    func refreshAndRoles() async throws {
        let server = try await APITestServer.start(.sqlite)
        defer { Task { await server.stop() } }
        let cli = try CLI(httpPort: server.httpPort)
        #expect(
            try await cli.run(
                ["login", cli.server, "--email", APITestServer.adminEmail, "--password-stdin"],
                stdin: APITestServer.adminPassword
            ).status == 0)
        let file = URL(fileURLWithPath: cli.home.appendingPathComponent(".config/roost/credentials").path)
        var stored = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        var servers = try #require(stored["servers"] as? [String: Any])
        var session = try #require(servers[cli.server] as? [String: Any])
        session["access_token"] = "an.expired.token"
        servers[cli.server] = session
        stored["servers"] = servers
        try JSONSerialization.data(withJSONObject: stored).write(to: file)
        let me = try await cli.run(["whoami"])
        #expect(me.status == 0 && me.out.contains(APITestServer.adminEmail), "\(me)")
        #expect(!(try String(contentsOf: file, encoding: .utf8)).contains("an.expired.token"))

        // A viewer may look but not command.
        _ = try await server.http().post("/api/v1/devices", ["uid": "watched"])
        // The viewer made with `roost user create --server`, as the logged-in admin.
        let viewer = try await cli.run(
            ["user", "create", "--email", "viewer@test.io", "--role", "viewer", "--tenant", "t0", "--server", cli.server],
            environment: ["ROOST_USER_PASSWORD": "viewer-password-1"])
        #expect(viewer.status == 0 && viewer.out.contains("created viewer@test.io (viewer)"), "\(viewer)")
        let users = try await cli.run(["user", "list", "--server", cli.server])
        #expect(users.out.contains("viewer@test.io\tviewer"), "\(users)")
        #expect(
            try await cli.run(
                ["login", cli.server, "--email", "viewer@test.io", "--password-stdin"], stdin: "viewer-password-1"
            ).status == 0)
        #expect(try await cli.run(["device", "list"]).out.contains("watched"))
        let refused = try await cli.run(["command", "send", "watched", "reboot"])
        #expect(refused.status == 4, "\(refused)")

        // `roost user password --server`, as the admin: the viewer's sessions end, the new password works.
        #expect(
            try await cli.run(
                ["login", cli.server, "--email", APITestServer.adminEmail, "--password-stdin"], stdin: APITestServer.adminPassword
            ).status == 0)
        let viewerToken = try await server.login("viewer@test.io", "viewer-password-1")
        let reset = try await cli.run(
            ["user", "password", "--email", "viewer@test.io", "--server", cli.server],
            environment: ["ROOST_USER_PASSWORD": "viewer-password-2"])
        #expect(reset.status == 0 && reset.out.contains("password of viewer@test.io changed"), "\(reset)")
        #expect((try? await server.login("viewer@test.io", "viewer-password-1")) == nil, "the old password is refused")
        #expect(try await server.login("viewer@test.io", "viewer-password-2") != viewerToken)
        let nobody = try await cli.run(
            ["user", "password", "--email", "nobody@test.io", "--server", cli.server],
            environment: ["ROOST_USER_PASSWORD": "whatever-password"])
        #expect(nobody.status == 3 && nobody.err.contains("no user nobody@test.io"), "\(nobody)")
    }
}
