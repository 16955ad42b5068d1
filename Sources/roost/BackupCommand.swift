import ArgumentParser
import Foundation
import Logging
import RoostServer

/// `roost backup --output FILE`: an online copy of the SQLite database, beside a running
/// server; for PostgreSQL, the pg_dump and pg_restore commands to use.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Copy the SQLite database while the server runs (PostgreSQL: prints the pg_dump command).",
        discussion: """
            Example: roost backup --data-dir ./roost-data --output roost-2026-12-04.sqlite
            Restore: stop roost serve, remove roost-data/roost.sqlite-wal and -shm, copy the backup to \
            roost-data/roost.sqlite, start it again.
            """)

    @OptionGroup var database: DatabaseOptions
    @Option(help: "The backup file to write (must not exist).") var output: String

    func run() async throws {
        switch try database.location() {
        case .sqlite(let path, _):
            let size = try await RoostStores.backupSQLite(path, to: output)
            print("backed up \(path) to \(output) (\(size / 1024) KB)")
        case .postgres(let url, _):
            let hint = """
                roost backup copies SQLite databases; for PostgreSQL use its own tools, which copy a \
                consistent snapshot while Roost runs:
                  pg_dump --format=custom --file=\(output) '\(url)'
                and to restore into an empty database (with roost stopped):
                  pg_restore --clean --if-exists --no-owner --dbname='\(url)' \(output)
                """
            throw ValidationError(hint)
        }
    }
}
