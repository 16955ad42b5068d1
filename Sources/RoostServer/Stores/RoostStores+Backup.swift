import Logging
import RoostSQLite

extension RoostStores {
    /// An online copy of the SQLite database at `path` into `destination` (a new file): a
    /// consistent snapshot, taken while a server may keep writing. Returns its size in bytes.
    public static func backupSQLite(_ path: String, to destination: String) async throws -> Int {
        try await SQLiteBackup.copy(path, to: destination)
    }
}
