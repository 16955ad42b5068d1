import Foundation
import Logging
import MQTTBroker
import PostgresNIO
import RoostPostgres
import RoostSQLite
import RoostStore
import SQLiteNIO

/// Which store a conformance test runs against.
enum StoreKind: String, CaseIterable, CustomStringConvertible, Sendable {
    case sqlite, postgres
    var description: String { rawValue }
}

/// A fresh store of one kind: an SQLite file, or a PostgreSQL schema of its own on the server
/// `scripts/test` starts (`ROOST_TEST_POSTGRES_URL`).
struct StoreFixture {
    let ingest: any IngestStore
    let broker: any BrokerPersistence
    let credentials: any CredentialStore
    let api: any APIStore
    /// Runs a query returning one integer.
    let int: @Sendable (String) async throws -> Int?
    /// Runs a query returning one text value.
    let text: @Sendable (String) async throws -> String?
    let close: @Sendable () async -> Void

    /// Row ids of devices `uids` of tenant `t0`, registered on first use, in the order given.
    func deviceIDs(_ uids: [String], now: Int64) async throws -> [Int64] {
        let keys = uids.map { DeviceKey(tenant: "t0", uid: $0) }
        let ids = try await ingest.resolveDevices(Set(keys), now: now)
        return try keys.map { key in
            guard let id = ids[key] else { throw FixtureError("device \(key.uid) was not registered") }
            return id
        }
    }

    static let logger = Logger(label: "store-test")

    static func make(_ kind: StoreKind) async throws -> StoreFixture {
        switch kind {
        case .sqlite: try await sqlite()
        case .postgres: try await postgres()
        }
    }

    /// Runs `body` on an SQLite store in a fresh directory (given its file's path), then
    /// closes the store, also when `body` throws, and removes the directory.
    static func withSQLiteStore<T>(
        checkpointInterval: Duration = .seconds(1), _ body: (SQLiteStore, String) async throws -> T
    ) async throws -> T {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("roost-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("roost.sqlite").path
        let store = try await SQLiteStore.open(path: path, checkpointInterval: checkpointInterval)
        do {
            let result = try await body(store, path)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }

    static func sqlite() async throws -> StoreFixture {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("roost-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let store = try await SQLiteStore.open(path: dir.appendingPathComponent("roost.sqlite").path, logger: logger)
        try await store.migrate()  // a second run must change nothing
        let db = store.connection
        return StoreFixture(
            ingest: SQLiteIngestStore(store: store), broker: SQLiteBrokerPersistence(store: store),
            credentials: SQLiteCredentialStore(store: store), api: SQLiteAPIStore(store: store),
            int: { sql in try await db.query(sql, []).first?.columns.first?.data.integer },
            text: { sql in try await db.query(sql, []).first?.columns.first?.data.string },
            close: {
                try? await store.close()
                try? FileManager.default.removeItem(at: dir)
            })
    }

    /// The PostgreSQL server for tests; its absence is a failure, not a skip.
    static var postgresURL: String {
        get throws {
            guard let url = ProcessInfo.processInfo.environment["ROOST_TEST_POSTGRES_URL"] else {
                throw FixtureError(
                    "ROOST_TEST_POSTGRES_URL is not set: run the tests with scripts/test, which starts PostgreSQL")
            }
            return url
        }
    }

    static func postgres() async throws -> StoreFixture {
        let url = try postgresURL
        let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        let admin = try PostgresStore(url: url, logger: logger)
        let adminTask = Task { await admin.run() }
        try await admin.client.query(PostgresQuery(unsafeSQL: "CREATE SCHEMA \(schema)"), logger: logger)
        let store = try PostgresStore(url: url, searchPath: String(schema), logger: logger)
        let task = Task { await store.run() }
        try await store.migrate()
        try await store.migrate()
        let client = store.client
        return StoreFixture(
            ingest: PostgresIngestStore(store: store), broker: PostgresBrokerPersistence(store: store),
            credentials: PostgresCredentialStore(store: store), api: PostgresAPIStore(store: store),
            int: { sql in
                for try await v in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(
                    Int?.self)
                { return v }
                return nil
            },
            text: { sql in
                for try await v in try await client.query(PostgresQuery(unsafeSQL: sql), logger: logger).decode(
                    String?.self)
                { return v }
                return nil
            },
            close: {
                task.cancel()
                _ = try? await admin.client.query(
                    PostgresQuery(unsafeSQL: "DROP SCHEMA \(schema) CASCADE"), logger: logger)
                adminTask.cancel()
            })
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
