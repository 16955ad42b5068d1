public import Logging
import NIOCore
import NIOPosix
public import SQLiteNIO
import RoostStore

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

/// The ordered list of SQLite migrations. Append only.
enum SQLiteMigrations {
    static let all: [SchemaMigration] = [
        SchemaMigration(
            version: 1, name: "broker_sessions_and_retained",
            statements: [
                """
                CREATE TABLE mqtt_sessions (
                    client_id TEXT PRIMARY KEY,
                    expiry_interval INTEGER NOT NULL,
                    subscriptions TEXT NOT NULL,
                    updated_at INTEGER NOT NULL
                )
                """,
                """
                CREATE TABLE mqtt_session_messages (
                    client_id TEXT NOT NULL REFERENCES mqtt_sessions(client_id) ON DELETE CASCADE,
                    seq INTEGER NOT NULL,
                    packet BLOB NOT NULL,
                    PRIMARY KEY (client_id, seq)
                )
                """,
                """
                CREATE TABLE mqtt_retained (
                    topic TEXT PRIMARY KEY,
                    packet BLOB NOT NULL,
                    stored_at INTEGER NOT NULL
                )
                """,
            ]),
        SchemaMigration(
            version: 2, name: "tenants_devices_telemetry",
            statements: [
                "CREATE TABLE tenants (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL)",
                """
                CREATE TABLE devices (
                    id INTEGER PRIMARY KEY,
                    tenant_id INTEGER NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
                    uid TEXT NOT NULL,
                    name TEXT,
                    labels TEXT NOT NULL DEFAULT '{}',
                    status TEXT NOT NULL DEFAULT 'unknown',
                    status_doc TEXT,
                    status_at INTEGER,
                    last_seen INTEGER,
                    latest TEXT NOT NULL DEFAULT '{}',
                    latest_ts INTEGER,
                    created_at INTEGER NOT NULL,
                    UNIQUE (tenant_id, uid)
                )
                """,
                // Telemetry: arrival-ordered rows; (device, ts) serves history, the partial unique
                // index makes msg_id idempotent per device.
                """
                CREATE TABLE telemetry (
                    device_id INTEGER NOT NULL,
                    ts INTEGER NOT NULL,
                    received_at INTEGER NOT NULL,
                    msg_id TEXT,
                    data TEXT NOT NULL
                )
                """,
                "CREATE UNIQUE INDEX telemetry_device_msg ON telemetry (device_id, msg_id) WHERE msg_id IS NOT NULL",
                "CREATE INDEX telemetry_device_ts ON telemetry (device_id, ts)",
                """
                CREATE TABLE status_events (
                    id INTEGER PRIMARY KEY,
                    device_id INTEGER NOT NULL,
                    online INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    document TEXT
                )
                """,
                "CREATE INDEX status_events_device ON status_events (device_id, at)",
                """
                CREATE TABLE dead_letters (
                    id INTEGER PRIMARY KEY,
                    device_id INTEGER,
                    topic TEXT NOT NULL,
                    received_at INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    detail TEXT NOT NULL,
                    payload BLOB NOT NULL
                )
                """,
                "CREATE INDEX dead_letters_device ON dead_letters (device_id, received_at)",
            ]),
        SchemaMigration(
            version: 3, name: "device_credentials",
            statements: [
                """
                CREATE TABLE device_credentials (
                    device_id INTEGER PRIMARY KEY REFERENCES devices(id) ON DELETE CASCADE,
                    mqtt_username TEXT NOT NULL UNIQUE,
                    mqtt_salt BLOB NOT NULL,
                    mqtt_hash BLOB NOT NULL,
                    api_key_prefix TEXT NOT NULL UNIQUE,
                    api_salt BLOB NOT NULL,
                    api_hash BLOB NOT NULL,
                    updated_at INTEGER NOT NULL
                )
                """
            ]),
    ]
}
