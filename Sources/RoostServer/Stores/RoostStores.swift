import Foundation
public import Logging
public import MQTTBroker
import RoostPostgres
import RoostSQLite
public import RoostStore
public import ServiceLifecycle

/// The stores of one database, migrated and ready: what ingest, the broker's persistence,
/// device logins and the API use. Open with ``open(_:logger:)``; close with ``close()``, or
/// put ``service`` in the service group, which closes them after every other service stopped.
public struct RoostStores: Sendable {
    public let ingest: any IngestStore
    public let broker: any BrokerPersistence
    public let credentials: any CredentialStore
    public let api: any APIStore
    /// Which database, for logs.
    public let location: DatabaseLocation
    private let closer: @Sendable () async -> Void

    /// Opens the database (creating the SQLite file and its directory if needed), applies
    /// pending migrations, and, for PostgreSQL, starts the connection pool.
    /// PostgreSQL must answer within `connectTimeout` (it may be starting: a few seconds).
    public static func open(
        _ location: DatabaseLocation, connectTimeout: Duration = .seconds(15), logger: Logger
    ) async throws -> RoostStores {
        switch location {
        case .sqlite(let path, let synchronousFull):
            let directory = (path as NSString).deletingLastPathComponent
            if !directory.isEmpty {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            }
            let store = try await SQLiteStore.open(path: path, synchronousFull: synchronousFull, logger: logger)
            return RoostStores(
                ingest: SQLiteIngestStore(store: store), broker: SQLiteBrokerPersistence(store: store),
                credentials: SQLiteCredentialStore(store: store), api: SQLiteAPIStore(store: store),
                location: location, closer: { try? await store.close() })
        case .postgres(let url, let searchPath):
            let store = try PostgresStore(url: url, searchPath: searchPath, logger: logger)
            // The pool runs from here until close(): `Task.immediate`, so its run() has begun
            // before the first query (PostgresNIO warns of a lease before run()).
            let pool = Task.immediate { await store.run() }
            do {
                // The pool retries a server it cannot reach without end: give up in time. Only
                // reaching it is bounded; migrations take as long as they take (nodes starting
                // together apply them one after another, under an advisory lock).
                _ = try await withDeadline(connectTimeout) { try await store.client.query("SELECT 1") }
                try await store.migrate()
            } catch {
                pool.cancel()
                await pool.value
                let why = error is DeadlineExceeded ? "no answer within \(connectTimeout)" : "\(error)"
                throw SettingsError("cannot use PostgreSQL at \(DatabaseLocation.redacted(url)): \(why)")
            }
            return RoostStores(
                ingest: PostgresIngestStore(store: store), broker: PostgresBrokerPersistence(store: store),
                credentials: PostgresCredentialStore(store: store), api: PostgresAPIStore(store: store),
                location: location,
                closer: {
                    pool.cancel()
                    await pool.value
                })
        }
    }

    /// Closes the database: SQLite's connections, or PostgreSQL's pool.
    public func close() async { await closer() }

    /// A service that holds the stores open until the group shuts down, then closes them.
    /// First in the group, so that it stops last.
    public var service: any Service { StoreLifetime(stores: self) }

    /// Opens the stores, runs `body` on the API store and closes them (the `roost` commands
    /// that work on the data directory, beside a running server or without one).
    public static func withAPIStore<T>(
        _ location: DatabaseLocation, logger: Logger = Logger(label: "roost.store"),
        _ body: (any APIStore) async throws -> T
    ) async throws -> T {
        let stores = try await open(location, logger: logger)
        do {
            let result = try await body(stores.api)
            await stores.close()
            return result
        } catch {
            await stores.close()
            throw error
        }
    }
}

/// `body` did not finish in time.
struct DeadlineExceeded: Error {}

/// Runs `body`, cancelling it and throwing ``DeadlineExceeded`` if it takes longer than `limit`.
func withDeadline<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        defer { group.cancelAll() }
        guard let first = try await group.next(), let value = first else { throw DeadlineExceeded() }
        return value
    }
}

/// Keeps stores open while the service group runs.
struct StoreLifetime: Service {
    let stores: RoostStores

    func run() async throws {
        // Returns on graceful shutdown, throws on cancellation: close in both cases.
        try? await gracefulShutdown()
        await stores.close()
    }
}
