public import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RoostStore
package import SQLiteNIO

/// Roost's embedded SQLite database: one file under the data directory, WAL mode, migrations
/// applied on open. Write transactions take turns on one lock: ``transaction(_:)`` on the
/// sqlite-nio writer (registry, users, sessions), ``directTransaction(_:)`` on the direct
/// connection (ingest batches, rollups). Reads that may run beside them use reader connections,
/// which WAL gives a committed snapshot each: sqlite-nio readers, and direct ones for the hot
/// paths (``read(_:)``). ``SQLiteCheckpointer`` copies the log back in the background.
public final class SQLiteStore: Sendable {
    /// The writer connection. Write only inside ``transaction(_:)``.
    package let connection: SQLiteConnection
    /// sqlite-nio connections for the other reads (registry, users, status events), used in turn.
    let readers: [SQLiteConnection]
    private let nextReader = NIOLockedValueBox(0)
    /// The ingest writer's connection (``directTransaction(_:)``).
    let direct: SQLiteDirect
    /// Connections for the hot reads (``read(_:)``).
    let directReaders: SQLiteDirectReaders
    private let writeLock: AsyncLock
    let logger: Logger

    let checkpointer: SQLiteCheckpointer

    private init(
        connection: SQLiteConnection, readers: [SQLiteConnection], direct: SQLiteDirect,
        directReaders: SQLiteDirectReaders, writeLock: AsyncLock, checkpointer: SQLiteCheckpointer, logger: Logger
    ) {
        self.connection = connection
        self.direct = direct
        self.directReaders = directReaders
        self.writeLock = writeLock
        self.readers = readers
        self.checkpointer = checkpointer
        self.logger = logger
    }

    /// A reader connection (round robin).
    package var reader: SQLiteConnection {
        let i = nextReader.withLockedValue { n in
            n &+= 1
            return n
        }
        return readers[i % readers.count]
    }

    /// Opens (creating if needed) `path`, applies pending migrations and starts checkpointing the
    /// write-ahead log every `checkpointInterval` (``SQLiteCheckpointer``).
    public static func open(
        path: String, readers: Int = 2, checkpointInterval: Duration = .seconds(1), synchronousFull: Bool = false,
        logger: Logger = Logger(label: "roost.sqlite")
    ) async throws -> SQLiteStore {
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        // WAL lets readers run beside the writer. NORMAL sync: a commit survives the process
        // dying (kill -9) and the file is never corrupted, but a power loss or OS crash may undo
        // the commits since the last checkpoint (about a second); FULL syncs the log at every
        // commit. The busy timeout covers `roost` CLI runs beside the server.
        _ = try await connection.rows("PRAGMA journal_mode=WAL", [])
        let synchronous = synchronousFull ? "FULL" : "NORMAL"
        _ = try await connection.rows("PRAGMA synchronous=\(synchronous)", [])
        _ = try await connection.rows("PRAGMA busy_timeout=5000", [])
        _ = try await connection.rows("PRAGMA foreign_keys=ON", [])
        _ = try await connection.rows("PRAGMA wal_autocheckpoint=\(SQLiteCheckpointer.backstopPages)", [])
        _ = try await connection.rows("PRAGMA journal_size_limit=67108864", [])
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
        // Ingest batches write through their own connection. It keeps every device's hot index
        // pages cached (the 2,000-page default evicted them between batches) and, like the
        // other writer, leaves checkpoints to the checkpointer.
        let direct = try await SQLiteDirect.open(path: path)
        try await direct.run { db in
            try db.execute(
                """
                PRAGMA synchronous=\(synchronous); PRAGMA foreign_keys=ON; PRAGMA cache_size=-131072;
                PRAGMA wal_autocheckpoint=\(SQLiteCheckpointer.backstopPages); PRAGMA journal_size_limit=67108864;
                """)
        }
        let directReaders = try await SQLiteDirectReaders.open(path: path, count: readers)
        let checkpoints = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        let writeLock = AsyncLock()
        let checkpointer = SQLiteCheckpointer(connection: checkpoints, interval: checkpointInterval, logger: logger) {
            body in
            await writeLock.lock()
            defer { writeLock.unlock() }
            try await body()
        }
        let store = SQLiteStore(
            connection: connection, readers: readerConnections, direct: direct, directReaders: directReaders,
            writeLock: writeLock,
            checkpointer: checkpointer, logger: logger)
        try await store.migrate()
        checkpointer.start()
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
    package func transaction<T: Sendable>(_ body: @Sendable () async throws -> T) async throws -> T {
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

    /// Runs `body` inside BEGIN IMMEDIATE … COMMIT on the direct connection, as one job on a
    /// thread-pool thread; takes its turn with ``transaction(_:)``.
    func directTransaction<T: Sendable>(_ body: @escaping @Sendable (SQLiteDirect) throws -> T) async throws -> T {
        await writeLock.lock()
        defer { writeLock.unlock() }
        return try await direct.run { db in
            try db.execute("BEGIN IMMEDIATE")
            do {
                let result = try body(db)
                try db.execute("COMMIT")
                return result
            } catch {
                try? db.execute("ROLLBACK")
                throw error
            }
        }
    }

    /// Runs `body` on a direct reader connection, as one job on a thread-pool thread.
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteDirect) throws -> T) async throws -> T {
        try await directReaders.read(body)
    }

    /// The cached statements of the direct connections that SQLite compiled again: each one
    /// costs a parse per use, so the hot paths' statements must stay off this list.
    func recompiledStatements() async throws -> [String] {
        await writeLock.lock()
        let writer = try await direct.run { $0.recompiledStatements }
        writeLock.unlock()
        return try await writer + directReaders.recompiledStatements()
    }

    /// Stops the checkpointer and closes the connections.
    public func close() async throws {
        await checkpointer.stop()
        await direct.close()
        await directReaders.close()
        for reader in readers { try? await reader.close() }
        try await connection.close()
    }
}
