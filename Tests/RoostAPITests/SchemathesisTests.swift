import Foundation
import Testing
import TestSupport

/// schemathesis (PyPI; no one here wrote it) generates requests from `/openapi.json` against a
/// real `roost serve` process, as the platform admin, and checks every answer: no 5xx, status
/// codes and bodies as documented.
@Suite("API: schemathesis")
struct SchemathesisTests {
    static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
    }

    static func which(_ name: String) -> String? {
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    @Test("schemathesis finds no server error and no schema violation")
    func schemathesis() async throws {
        let tool = try #require(
            Self.which("schemathesis"), "schemathesis is not installed; run scripts/test, which installs it")
        let binary = ["debug", "release"].map { Self.root.appendingPathComponent(".build/\($0)/roost").path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        let roost = try #require(binary, "build the roost executable first")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("roost-st-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (serve, httpPort, log) = try await Self.serve(
            roost, dir: dir,
            environment: ["ROOST_ADMIN_EMAIL": "admin@st.io", "ROOST_ADMIN_PASSWORD": "schemathesis-pw"])
        defer { if serve.isRunning { kill(serve.process.processIdentifier, SIGKILL) } }
        let http = HTTP(port: httpPort)
        let token = try #require(
            try await http.post("/api/v1/auth/login", ["email": "admin@st.io", "password": "schemathesis-pw"]).json[
                "access_token"] as? String)
        // Some objects to find: a device with data.
        _ = try await HTTP(port: httpPort, token: token).post("/api/v1/devices", ["uid": "st-1"])

        // Foundation's Process crashed in full runs: posix_spawn (TestSupport), in `dir` so that
        // its .schemathesis cache stays out of the checkout.
        let arguments = [
            "run", "http://127.0.0.1:\(httpPort)/openapi.json", "--header", "Authorization: Bearer \(token)",
            "--max-examples", "25",
            "--checks",
            "not_a_server_error,response_schema_conformance,content_type_conformance,status_code_conformance",
            "--seed", "1", "--no-color",
        ].map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
        let result = try await ExternalProcess.run(
            "/bin/sh", ["-c", "cd '\(dir.path)' && exec '\(tool)' \(arguments)"], timeout: 300)
        let text = result.output
        #expect(result.status == 0, "schemathesis failed:\n\(text.suffix(4000))")
        #expect(text.contains("passed"))
        // The server survived all of it.
        #expect(try await http.get("/health").status == 200)
        let serveLog = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        #expect(!serveLog.contains("Fatal error"))
    }

    @Test("roost user create / password: the accounts log in to roost serve")
    func userCommand() async throws {
        let binary = ["debug", "release"].map { Self.root.appendingPathComponent(".build/\($0)/roost").path }
            .first { FileManager.default.isExecutableFile(atPath: $0) }
        let roost = try #require(binary, "build the roost executable first")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("roost-user-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func run(_ arguments: [String], password: String? = nil) async throws -> (Int32, String) {
            var env = ProcessInfo.processInfo.environment
            env["ROOST_USER_PASSWORD"] = password
            let result = try await ExternalProcess.run(
                roost, arguments + ["--data-dir", dir.path], environment: env, separateErrors: true)
            return (result.status, result.output)
        }
        let created = try await run([
            "user", "create", "--email", "Ops@Acme.io", "--role", "tenant_admin", "--tenant", "acme",
        ])
        #expect(created.0 == 0 && created.1.contains("password: "))
        let generated = try #require(
            created.1.split(separator: "\n").first { $0.hasPrefix("password: ") }?.split(separator: " ")[1])
        #expect(try await run(["user", "create", "--email", "x@y.z", "--role", "viewer"]).0 != 0)
        #expect(try await run(["user", "password", "--email", "ops@acme.io"], password: "new-password-1").0 == 0)
        #expect(try await run(["user", "list"]).1.contains("ops@acme.io\ttenant_admin"))

        let (serve, port, log) = try await Self.serve(roost, dir: dir)
        defer { if serve.isRunning { kill(serve.process.processIdentifier, SIGKILL) } }
        let http = HTTP(port: port)
        // Users exist, so no admin was generated; the old password is gone, the new one works.
        #expect(!((try? String(contentsOf: log, encoding: .utf8)) ?? "").contains("created the first admin"))
        #expect(
            try await http.post("/api/v1/auth/login", ["email": "ops@acme.io", "password": String(generated)]).status
                == 401)
        let login = try await http.post("/api/v1/auth/login", ["email": "ops@acme.io", "password": "new-password-1"])
        #expect(login.status == 200)
        let token = try #require(login.json["access_token"] as? String)
        #expect(
            try await HTTP(port: http.port, token: token).get("/api/v1/tenants").items.first?["name"] as? String
                == "acme")
    }

    /// Starts `roost serve` on free ports with its data in `dir`; returns the process, its HTTP
    /// port (read from its log) and the log file.
    static func serve(_ roost: String, dir: URL, environment: [String: String] = [:]) async throws -> (
        ExternalProcess.Running, Int, URL
    ) {
        let log = dir.appendingPathComponent("serve.log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let serve = try ExternalProcess.Running(
            "/bin/sh",
            ["-c", "exec '\(roost)' serve --mqtt-port 0 --http-port 0 --data-dir '\(dir.path)' 2>'\(log.path)'"],
            environment: ProcessInfo.processInfo.environment.merging(environment) { $1 })
        for _ in 0..<300 {
            let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            if let r = text.range(of: "http listening on 127.0.0.1:"),
                let port = Int(text[r.upperBound...].prefix { $0.isNumber })
            {
                return (serve, port, log)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        kill(serve.process.processIdentifier, SIGKILL)
        throw ServeDidNotStart(log: (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    struct ServeDidNotStart: Error, CustomStringConvertible {
        let log: String
        var description: String { "roost serve did not start:\n\(log.suffix(2000))" }
    }
}
