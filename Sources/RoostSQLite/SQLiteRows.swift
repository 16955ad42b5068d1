import SQLiteNIO

extension SQLiteConnection {
    /// Runs `sql` and returns its rows, all read on the connection's thread.
    ///
    /// SQLiteNIO's `query(_:_:) async -> [SQLiteRow]` (from `SQLiteDatabase`) hands every row to
    /// the event loop as a task of its own, about a microsecond a row; `SQLiteConnection`'s own
    /// row-callback query calls back on the thread that steps the statement. Every sqlite-nio
    /// query of this module goes through here; the hot paths use ``SQLiteDirect`` instead.
    func rows(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        let collected = CollectedRows()
        // SQLiteConnection.query(_:_:_:) async: the concrete method, not the protocol's.
        try await self.query(sql, binds) { row in collected.rows.append(row) }
        return collected.rows
    }
}

/// Rows gathered by the statement's thread; read only after the query has returned.
private final class CollectedRows: @unchecked Sendable {
    var rows: [SQLiteRow] = []
}
