public import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RoostStore
public import SQLiteNIO

/// Roost's embedded SQLite database: one file under the data directory, WAL mode, migrations
/// applied on open. Writes go through one connection in transactions that take turns
/// (``transaction(_:)``); reads that may run beside them use the reader connections, which WAL
/// gives a committed snapshot each.
public final class SQLiteStore: Sendable {
    /// The writer connection. Write only inside ``transaction(_:)``.
    public let connection: SQLiteConnection
    /// Connections for reads (the API's queries), used in turn.
    let readers: [SQLiteConnection]
    private let nextReader = NIOLockedValueBox(0)
    private let writeLock = AsyncLock()
    let logger: Logger

    private init(connection: SQLiteConnection, readers: [SQLiteConnection], logger: Logger) {
        self.connection = connection
        self.readers = readers
        self.logger = logger
    }

    /// A reader connection (round robin).
    public var reader: SQLiteConnection {
        let i = nextReader.withLockedValue { n in
            n &+= 1
            return n
        }
        return readers[i % readers.count]
    }

    /// Opens (creating if needed) `path` and applies pending migrations.
    public static func open(path: String, readers: Int = 2, logger: Logger = Logger(label: "roost.sqlite")) async throws
        -> SQLiteStore
    {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        // WAL lets readers run beside the writer; NORMAL sync is durable at each checkpoint
        // and safe against corruption; the busy timeout covers `roost` CLI runs beside the server.
        _ = try await connection.rows("PRAGMA journal_mode=WAL", [])
        _ = try await connection.rows("PRAGMA synchronous=NORMAL", [])
        _ = try await connection.rows("PRAGMA busy_timeout=5000", [])
        _ = try await connection.rows("PRAGMA foreign_keys=ON", [])
        var readerConnections: [SQLiteConnection] = []
        for _ in 0..<max(1, readers) {
            let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            _ = try await reader.rows("PRAGMA busy_timeout=5000", [])
            // Reads map the file instead of copying pages through read(2), and keep a larger
            // cache: history pages of interleaved devices touch many pages.
            _ = try await reader.rows("PRAGMA mmap_size=1073741824", [])
            _ = try await reader.rows("PRAGMA cache_size=-65536", [])
            readerConnections.append(reader)
        }
        let store = SQLiteStore(connection: connection, readers: readerConnections, logger: logger)
        try await store.migrate()
        return store
    }

    /// Applies migrations not yet recorded in `schema_migrations`, each in its own transaction.
    /// Applied migrations are never edited: a change is a new migration.
    public func migrate() async throws {
        _ = try await connection.rows(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)",
            [])
        let rows = try await connection.rows("SELECT version FROM schema_migrations", [])
        let applied = Set(rows.compactMap { $0.column("version")?.integer })
        for migration in SQLiteMigrations.all where !applied.contains(migration.version) {
            try await transaction {
                for statement in migration.statements {
                    _ = try await self.connection.rows(statement, [])
                }
                _ = try await self.connection.rows(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, strftime('%s','now'))",
                    [.integer(migration.version), .text(migration.name)])
            }
            logger.info("applied migration \(migration.version) \(migration.name)")
        }
    }

    /// Runs `body` inside BEGIN IMMEDIATE … COMMIT, rolling back on error; one transaction at a
    /// time (callers wait their turn).
    public func transaction<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
        await writeLock.lock()
        defer { writeLock.unlock() }
        _ = try await connection.rows("BEGIN IMMEDIATE", [])
        do {
            let result = try await body()
            _ = try await connection.rows("COMMIT", [])
            return result
        } catch {
            _ = try? await connection.rows("ROLLBACK", [])
            throw error
        }
    }

    /// Closes the connection.
    public func close() async throws {
        for reader in readers { try? await reader.close() }
        try await connection.close()
    }
}
