import NIOPosix
import VaporCSQLite

/// A SQLite connection driven through the C API, for the hot write path (ingest batches).
///
/// SQLiteNIO runs each statement as a job of its own, binds values as enum cases, and has no
/// statement cache, so a 5,000-row batch meant parsing five 6,000-parameter statements and
/// building a row object per RETURNING row. Here a whole batch is one job on a thread-pool
/// thread, and each statement is prepared once and reused: bind, step, reset.
///
/// It uses the SQLite library SQLiteNIO vendors (module `VaporCSQLite`, whose functions are
/// prefixed `sqlite_nio_`), so the process links one SQLite. A connection is used by one job
/// at a time: callers hold ``SQLiteStore``'s write lock.
final class SQLiteDirect: @unchecked Sendable {
    private var handle: OpaquePointer?
    /// Prepared statements by SQL text, kept for the connection's life.
    private var statements: [String: SQLiteStatement] = [:]
    private let pool: NIOThreadPool

    private init(handle: OpaquePointer, pool: NIOThreadPool) {
        self.handle = handle
        self.pool = pool
    }

    /// Opens `path` (which must exist: ``SQLiteStore`` creates it) for reading and writing.
    static func open(path: String, pool: NIOThreadPool = .singleton) async throws -> SQLiteDirect {
        try await pool.runIfActive {
            var handle: OpaquePointer?
            let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
            let rc = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
            guard rc == SQLITE_OK, let handle else {
                let message = handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) }
                sqlite_nio_sqlite3_close(handle)
                throw SQLiteDirectError(code: rc, message: message ?? "cannot open \(path)")
            }
            sqlite_nio_sqlite3_busy_timeout(handle, 5_000)
            return SQLiteDirect(handle: handle, pool: pool)
        }
    }

    /// Runs `body` on a thread-pool thread: all calls of one job run on one thread.
    func run<T: Sendable>(_ body: @escaping @Sendable (SQLiteDirect) throws -> T) async throws -> T {
        try await pool.runIfActive { try body(self) }
    }

    /// Runs SQL text without parameters or results (pragmas, BEGIN, COMMIT).
    func execute(_ sql: String) throws {
        let rc = sqlite_nio_sqlite3_exec(handle, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw error(rc) }
    }

    /// Starts a read transaction (for reads that must see one snapshot), first ending any
    /// transaction an earlier job left open, which would otherwise fail every later BEGIN.
    func beginRead() throws {
        if inTransaction { try execute("ROLLBACK") }
        try execute("BEGIN")
    }

    /// Whether a transaction is open on this connection.
    var inTransaction: Bool { sqlite_nio_sqlite3_get_autocommit(handle) == 0 }

    /// The prepared statement for `sql`, reset and with its parameters cleared.
    func statement(_ sql: String) throws -> SQLiteStatement {
        if let cached = statements[sql] {
            sqlite_nio_sqlite3_reset(cached.raw)
            sqlite_nio_sqlite3_clear_bindings(cached.raw)
            return cached
        }
        var raw: OpaquePointer?
        let rc = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard rc == SQLITE_OK, let raw else { throw error(rc) }
        let statement = SQLiteStatement(raw: raw, connection: self)
        statements[sql] = statement
        return statement
    }

    /// The SQL of cached statements SQLite had to compile again (see
    /// ``SQLiteStatement/reprepares``); call it inside a job.
    var recompiledStatements: [String] {
        statements.filter { $0.value.reprepares > 0 }.map(\.key).sorted()
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int { Int(sqlite_nio_sqlite3_changes(handle)) }

    func error(_ code: Int32) -> SQLiteDirectError {
        SQLiteDirectError(
            code: code, message: handle.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "")
    }

    /// Finalizes the statements and closes the connection.
    func close() async {
        _ = try? await run { db in db.closeNow() }
    }

    private func closeNow() {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement.raw) }
        statements = [:]
        sqlite_nio_sqlite3_close_v2(handle)
        handle = nil
    }
}

/// A prepared statement of a ``SQLiteDirect`` connection; parameters count from 1.
struct SQLiteStatement {
    let raw: OpaquePointer
    unowned let connection: SQLiteDirect

    /// SQLite copies bound text and blobs (the C API's `SQLITE_TRANSIENT`).
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    func bind(_ index: Int32, _ value: Int64) {
        sqlite_nio_sqlite3_bind_int64(raw, index, value)
    }

    func bind(_ index: Int32, _ value: Int64?) {
        if let value { bind(index, value) } else { sqlite_nio_sqlite3_bind_null(raw, index) }
    }

    func bind(_ index: Int32, _ value: String?) {
        guard var value else {
            sqlite_nio_sqlite3_bind_null(raw, index)
            return
        }
        value.withUTF8 { utf8 in
            guard let base = utf8.baseAddress, !utf8.isEmpty else {
                _ = sqlite_nio_sqlite3_bind_text(raw, index, "", 0, Self.transient)
                return
            }
            _ = sqlite_nio_sqlite3_bind_text(
                raw, index, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(utf8.count),
                Self.transient)
        }
    }

    func bind(_ index: Int32, blob: [UInt8]) {
        blob.withUnsafeBytes { bytes in
            if let base = bytes.baseAddress, !bytes.isEmpty {
                _ = sqlite_nio_sqlite3_bind_blob(raw, index, base, Int32(bytes.count), Self.transient)
            } else {
                // An empty blob, not NULL.
                _ = sqlite_nio_sqlite3_bind_zeroblob(raw, index, 0)
            }
        }
    }

    func bind(_ index: Int32, _ value: Double) {
        sqlite_nio_sqlite3_bind_double(raw, index, value)
    }

    /// Runs a statement that returns no rows; throws on failure.
    func run() throws {
        let rc = sqlite_nio_sqlite3_step(raw)
        sqlite_nio_sqlite3_reset(raw)
        guard rc == SQLITE_DONE || rc == SQLITE_ROW else { throw connection.error(rc) }
    }

    /// Steps through the result rows, calling `body` on each (read it with the column
    /// accessors), then resets the statement, which ends its read of the database.
    func forEachRow(_ body: (SQLiteStatement) throws -> Void) throws {
        defer { sqlite_nio_sqlite3_reset(raw) }
        while true {
            let rc = sqlite_nio_sqlite3_step(raw)
            if rc == SQLITE_DONE { return }
            guard rc == SQLITE_ROW else { throw connection.error(rc) }
            try body(self)
        }
    }

    /// How many times SQLite compiled this statement again since it was prepared. A cached
    /// statement should stay at 0: SQLite recompiles one whose plan depends on a bound value
    /// (`LIMIT ?` does; `LIMIT +?` does not) each time that value is bound.
    var reprepares: Int32 { sqlite_nio_sqlite3_stmt_status(raw, SQLITE_STMTSTATUS_REPREPARE, 0) }

    /// Column `index` (from 0) of the current row as an integer (0 when NULL).
    func int64(_ index: Int32) -> Int64 { sqlite_nio_sqlite3_column_int64(raw, index) }

    /// Column `index` as a double (0 when NULL).
    func double(_ index: Int32) -> Double { sqlite_nio_sqlite3_column_double(raw, index) }

    /// Whether column `index` is NULL.
    func isNull(_ index: Int32) -> Bool { sqlite_nio_sqlite3_column_type(raw, index) == SQLITE_NULL }

    /// Column `index`'s UTF-8 bytes, valid until the next step or reset; nil when NULL.
    func textBytes(_ index: Int32) -> UnsafeBufferPointer<UInt8>? {
        guard let bytes = sqlite_nio_sqlite3_column_text(raw, index) else { return nil }
        return UnsafeBufferPointer(start: bytes, count: Int(sqlite_nio_sqlite3_column_bytes(raw, index)))
    }

    /// Column `index` as text, or nil when NULL.
    func text(_ index: Int32) -> String? {
        guard let bytes = sqlite_nio_sqlite3_column_text(raw, index) else { return nil }
        let count = Int(sqlite_nio_sqlite3_column_bytes(raw, index))
        return String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self)
    }
}

/// A failure reported by SQLite: its result code and message.
struct SQLiteDirectError: Error, CustomStringConvertible {
    let code: Int32
    let message: String

    var description: String { "sqlite error \(code): \(message)" }
}
