import ArgumentParser
import RoostServer
import RoostStore

/// `--data-dir`, `--database` and `--config` of the commands that work on a server's data
/// (beside a running server or without one), resolved like `roost serve` resolves them.
struct DatabaseOptions: ParsableArguments {
    @Option(help: "Directory of the SQLite database. Default ./roost-data.") var dataDir: String?
    @Option(help: "'sqlite' (default) or a postgres:// URL.") var database: String?
    @Option(help: "Config file (TOML or JSON).") var config: String?

    /// The database these options (or the environment, or the config file) name.
    func location() throws -> DatabaseLocation {
        let settings = try Settings(configFile: config)
        return try DatabaseLocation(
            settings.string("database", flag: database) ?? "sqlite",
            dataDir: settings.string("data_dir", flag: dataDir) ?? "./roost-data")
    }

    /// Opens the API store, runs `body` and closes it.
    func withAPIStore<T>(_ body: (any APIStore) async throws -> T) async throws -> T {
        try await RoostStores.withAPIStore(try location(), body)
    }
}
