import Foundation
public import Logging
import SQLiteNIO

/// An online backup of an SQLite store: `VACUUM INTO` a new file, a consistent snapshot taken
/// while the server keeps writing (WAL readers do not block the writer), compacted.
public enum SQLiteBackup {
    /// Copies the database at `path` into `destination`, which must not exist yet; returns its size.
    @discardableResult
    public static func copy(_ path: String, to destination: String, logger: Logger = Logger(label: "roost.sqlite"))
        async throws -> Int
    {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SQLiteBackupError("there is no database at \(path)")
        }
        guard !FileManager.default.fileExists(atPath: destination) else {
            throw SQLiteBackupError("\(destination) exists already: give a new file name")
        }
        let connection = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
        do {
            _ = try await connection.query("PRAGMA busy_timeout=5000")
            _ = try await connection.query("VACUUM INTO ?", [.text(destination)])
            try await connection.close()
        } catch {
            try? await connection.close()
            throw SQLiteBackupError("backing up \(path) failed: \(error)")
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: destination)[.size] as? Int) ?? 0
        return size
    }
}

/// Why a backup could not be made.
public struct SQLiteBackupError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
