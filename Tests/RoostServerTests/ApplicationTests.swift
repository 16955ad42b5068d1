import Foundation
import Logging
import RoostServer
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

@Suite("The server's assembly")
struct ApplicationTests {
    static let logger: Logger = {
        var l = Logger(label: "server-test")
        l.logLevel = .critical
        return l
    }()

    static func configuration(_ dir: URL) -> RoostConfiguration {
        var c = RoostConfiguration()
        c.dataDir = dir.path
        c.mqttPort = 0
        c.httpPort = 0
        c.bcryptCost = 4
        c.broker.sysInterval = 0
        return c
    }

    static func scratch() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("roost-app-\(UUID().uuidString)")
    }

    @Test("builds, listens on free ports, is ready, creates the first admin once, stops on shutdown")
    func lifecycle() async throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let first = try await buildApplication(Self.configuration(dir), logger: Self.logger)
        #expect(first.generatedAdmin?.email == "admin@roost.local")
        #expect((first.generatedAdmin?.password.count ?? 0) >= 16)
        let run = Task { try await first.run() }
        let http = try await first.httpPort()
        #expect(try await first.mqttPort() > 0 && http > 0)
        let (data, response) = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(http)/ready")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200, "\(String(decoding: data, as: UTF8.self))")
        await first.shutdown()
        try await run.value
        // The data directory holds the store and the generated JWT key; a restart reuses both.
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("roost.sqlite").path))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("jwt.key").path))
        let second = try await buildApplication(Self.configuration(dir), logger: Self.logger)
        #expect(second.generatedAdmin == nil)
        let again = Task { try await second.run() }
        _ = try await second.httpPort()
        await second.shutdown()
        try await again.value
    }

    @Test("a port already taken stops the whole server with the error")
    func portTaken() async throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        let holder = try await buildApplication(Self.configuration(dir.appendingPathComponent("a")), logger: Self.logger)
        let holding = Task { try await holder.run() }
        var config = Self.configuration(dir.appendingPathComponent("b"))
        config.httpPort = try await holder.httpPort()
        let clash = try await buildApplication(config, logger: Self.logger)
        await #expect(throws: (any Error).self) { try await clash.run() }
        await #expect(throws: SettingsError("the HTTP server stopped before it listened")) {
            _ = try await clash.httpPort()
        }
        await holder.shutdown()
        try await holding.value
    }

    @Test("a database that cannot be used is a clear error, and nothing is left running")
    func badDatabase() async throws {
        let dir = Self.scratch()
        defer { try? FileManager.default.removeItem(at: dir) }
        var config = Self.configuration(dir)
        config.database = "postgres://roost:pw@127.0.0.1:1/none"
        config.databaseConnectTimeout = .seconds(1)
        await #expect(
            throws: SettingsError("cannot use PostgreSQL at postgres://roost:***@127.0.0.1:1/none: no answer within 1.0 seconds")
        ) {
            _ = try await buildApplication(config, logger: Self.logger)
        }
        config.database = "oracle"
        await #expect(throws: SettingsError("--database must be 'sqlite' or a postgres:// URL, got 'oracle'")) {
            _ = try await buildApplication(config, logger: Self.logger)
        }
    }
}
