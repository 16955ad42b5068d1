import NIOConcurrencyHelpers

/// Direct connections for the hot reads (history pages, rollups and their sources), each
/// used by one job at a time; a read takes the next connection in turn and waits for it if a
/// job is still on it. WAL gives each read a committed snapshot beside the writer.
final class SQLiteDirectReaders: Sendable {
    private let connections: [(db: SQLiteDirect, lock: AsyncLock)]
    private let next = NIOLockedValueBox(0)

    /// Opens `count` connections to `path`: the file is mapped (its first 2 GB, the most SQLite
    /// maps), not copied through read(2), and each keeps a 64 MB cache for the pages beyond
    /// (history pages of interleaved devices touch many pages).
    static func open(path: String, count: Int) async throws -> SQLiteDirectReaders {
        var connections: [(SQLiteDirect, AsyncLock)] = []
        for _ in 0..<max(1, count) {
            let db = try await SQLiteDirect.open(path: path)
            try await db.run { db in try db.execute("PRAGMA mmap_size=2147418112; PRAGMA cache_size=-65536;") }
            connections.append((db, AsyncLock()))
        }
        return SQLiteDirectReaders(connections: connections)
    }

    private init(connections: [(db: SQLiteDirect, lock: AsyncLock)]) {
        self.connections = connections
    }

    /// Runs `body` on a reader connection, as one job on a thread-pool thread.
    func read<T: Sendable>(_ body: @escaping @Sendable (SQLiteDirect) throws -> T) async throws -> T {
        let i = next.withLockedValue { n in
            n &+= 1
            return n
        }
        let (db, lock) = connections[i % connections.count]
        await lock.lock()
        defer { lock.unlock() }
        return try await db.run(body)
    }

    /// ``SQLiteDirect/recompiledStatements`` of every connection.
    func recompiledStatements() async throws -> [String] {
        var all: [String] = []
        for (db, lock) in connections {
            await lock.lock()
            defer { lock.unlock() }
            all += try await db.run { $0.recompiledStatements }
        }
        return all
    }

    /// Closes every connection.
    func close() async {
        for (db, _) in connections { await db.close() }
    }
}
