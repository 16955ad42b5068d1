import Foundation
import Logging
import RoostPostgres
import RoostSQLite
import RoostStore

/// Opens the store a command-line tool works on (the server may be running: SQLite waits for
/// its writer, PostgreSQL is shared), runs `body`, and closes it.
func withAPIStore<T>(dataDir: String, database: String, _ body: (any APIStore) async throws -> T) async throws -> T {
    if database == "sqlite" {
        try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let store = try await SQLiteStore.open(path: dataDir + "/roost.sqlite")
        do {
            let result = try await body(SQLiteAPIStore(store: store))
            try? await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }
    guard database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") else {
        throw SettingsError("--database must be 'sqlite' or a postgres:// URL")
    }
    let store = try PostgresStore(url: database, logger: Logger(label: "roost.postgres"))
    let pool = Task.immediate { await store.run() }
    defer { pool.cancel() }
    try await store.migrate()
    return try await body(PostgresAPIStore(store: store))
}
