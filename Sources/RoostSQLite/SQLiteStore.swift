public import Logging
import NIOCore
import NIOPosix
import RoostStore
public import SQLiteNIO

/// Roost's embedded SQLite database: one file under the data directory, WAL mode, migrations
/// applied on open. Writes go through one connection, which SQLite serialises anyway.
public final class SQLiteStore: Sendable {
    /// The open connection.
    public let connection: SQLiteConnection
    let logger: Logger

    private init(connection: SQLiteConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Opens (creating if needed) `path` and applies pending migrations.
    public static func open(path: String, logger: Logger = Logger(label: "roost.sqlite")) async throws -> SQLiteStore {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        let store = SQLiteStore(connection: connection, logger: logger)
        // WAL lets readers run beside the writer; NORMAL sync is durable at each checkpoint
        // and safe against corruption; the busy timeout covers `roost` CLI runs beside the server.
        _ = try await connection.query("PRAGMA journal_mode=WAL", [])
        _ = try await connection.query("PRAGMA synchronous=NORMAL", [])
        _ = try await connection.query("PRAGMA busy_timeout=5000", [])
        _ = try await connection.query("PRAGMA foreign_keys=ON", [])
        try await store.migrate()
        return store
    }

    /// Applies migrations not yet recorded in `schema_migrations`, each in its own transaction.
    /// Applied migrations are never edited: a change is a new migration.
    public func migrate() async throws {
        _ = try await connection.query(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
            [])
        let rows = try await connection.query("SELECT version FROM schema_migrations", [])
        let applied = Set(rows.compactMap { $0.column("version")?.integer })
        for migration in SQLiteMigrations.all where !applied.contains(migration.version) {
            try await transaction {
                for statement in migration.statements {
                    _ = try await self.connection.query(statement, [])
                }
                _ = try await self.connection.query(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, strftime('%s','now'))",
                    [.integer(migration.version), .text(migration.name)])
            }
            logger.info("applied migration \(migration.version) \(migration.name)")
        }
    }

    /// Runs `body` inside BEGIN IMMEDIATE … COMMIT, rolling back on error.
    public func transaction<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        _ = try await connection.query("BEGIN IMMEDIATE", [])
        do {
            let result = try await body()
            _ = try await connection.query("COMMIT", [])
            return result
        } catch {
            _ = try? await connection.query("ROLLBACK", [])
            throw error
        }
    }

    /// Closes the connection.
    public func close() async throws {
        try await connection.close()
    }
}
