import ArgumentParser
import Foundation
import Logging
import RoostPostgres
import RoostSQLite

/// `roost migrate`: applies pending database migrations and exits.
struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Apply pending database migrations and exit.")

    @Option(help: "Directory of the SQLite database. Default ./roost-data.") var dataDir: String?
    @Option(help: "'sqlite' (default) or a postgres:// URL.") var database: String?
    @Option(help: "Config file (TOML or JSON).") var config: String?

    func run() async throws {
        let settings = try Settings(configFile: config)
        let dir = settings.string("data_dir", flag: dataDir) ?? "./roost-data"
        let db = settings.string("database", flag: database) ?? "sqlite"
        if db == "sqlite" {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
            let store = try await SQLiteStore.open(path: dir + "/roost.sqlite")
            try await store.close()
            print("migrations applied to \(dir)/roost.sqlite")
            return
        }
        let store = try PostgresStore(url: db, logger: Logger(label: "roost.postgres"))
        let pool = Task.immediate { await store.run() }
        defer { pool.cancel() }
        try await store.migrate()
        print("migrations applied to \(ServerRunner.redacted(db))")
    }
}
