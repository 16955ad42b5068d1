public import Logging
public import PostgresNIO
public import ServiceLifecycle

/// Roost's PostgreSQL database: a connection pool (run as a service) and versioned migrations
/// applied at start. Several Roost nodes may share one database.
public final class PostgresStore: Service, Sendable {
    /// The pool. Its `run()` must be running for queries to go through.
    public let client: PostgresClient
    let logger: Logger

    /// Creates a store for a `postgres://user:password@host:port/database` URL.
    /// `searchPath` puts every table in that schema (tests use one schema each).
    public init(url: String, searchPath: String? = nil, logger: Logger) throws {
        var config = try Self.configuration(url: url)
        if let searchPath { config.options.additionalStartupParameters = [("search_path", searchPath)] }
        self.client = PostgresClient(configuration: config, backgroundLogger: logger)
        self.logger = logger
    }

    /// Parses `postgres://user:password@host:port/database`; TLS is not used on loopback URLs.
    static func configuration(url: String) throws -> PostgresClient.Configuration {
        guard let parsed = PostgresURL(url) else {
            throw PostgresStoreError.badURL("expected postgres://user:password@host:port/database, got \(url)")
        }
        return PostgresClient.Configuration(
            host: parsed.host, port: parsed.port, username: parsed.user, password: parsed.password,
            database: parsed.database, tls: .disable)
    }

    /// Runs the pool until cancelled or shut down.
    public func run() async {
        await client.run()
    }

    /// Applies migrations not yet recorded in `schema_migrations`, each in a transaction; an
    /// advisory lock keeps two nodes starting together from racing.
    public func migrate() async throws {
        try await client.withConnection { conn in
            try await conn.query("SELECT pg_advisory_lock(7411)", logger: logger)
            do {
                try await conn.query(
                    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                    logger: logger)
                var applied: Set<Int> = []
                for try await version in try await conn.query("SELECT version FROM schema_migrations", logger: logger)
                    .decode(Int.self)
                {
                    applied.insert(version)
                }
                for migration in PostgresMigrations.all where !applied.contains(migration.version) {
                    try await conn.withTransaction(logger: logger) { tx in
                        for statement in migration.statements {
                            try await tx.query(PostgresQuery(unsafeSQL: statement), logger: logger)
                        }
                        try await tx.query(
                            "INSERT INTO schema_migrations (version, name) VALUES (\(migration.version), \(migration.name))",
                            logger: logger)
                    }
                    logger.info("applied migration \(migration.version) \(migration.name)")
                }
            } catch {
                _ = try? await conn.query("SELECT pg_advisory_unlock(7411)", logger: logger)
                throw error
            }
            try await conn.query("SELECT pg_advisory_unlock(7411)", logger: logger)
        }
    }
}

/// Errors of the PostgreSQL store.
public enum PostgresStoreError: Error, CustomStringConvertible, Sendable {
    case badURL(String)
    /// A packed answer (history page, rollup cells) did not decode: a bug, never user input.
    case malformedAnswer(String)

    public var description: String {
        switch self {
        case .badURL(let why): "bad PostgreSQL URL: \(why)"
        case .malformedAnswer(let what): "malformed answer from PostgreSQL: \(what)"
        }
    }
}

/// The parts of a `postgres://` URL.
struct PostgresURL {
    var user: String
    var password: String?
    var host: String
    var port: Int
    var database: String?

    init?(_ text: String) {
        let prefixes = ["postgres://", "postgresql://"]
        guard let prefix = prefixes.first(where: { text.hasPrefix($0) }) else { return nil }
        var rest = Substring(text.dropFirst(prefix.count))
        if let q = rest.firstIndex(of: "?") { rest = rest[..<q] }
        var database: String?
        if let slash = rest.firstIndex(of: "/") {
            let name = rest[rest.index(after: slash)...]
            database = name.isEmpty ? nil : String(name)
            rest = rest[..<slash]
        }
        var user = "postgres"
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                user = String(credentials[..<colon])
                password = String(credentials[credentials.index(after: colon)...]).removingPercentEncodingIfNeeded()
            } else {
                user = String(credentials)
            }
        }
        var host = String(rest)
        var port = 5432
        if let colon = rest.lastIndex(of: ":") {
            guard let p = Int(rest[rest.index(after: colon)...]) else { return nil }
            port = p
            host = String(rest[..<colon])
        }
        guard !host.isEmpty else { return nil }
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
    }
}

extension String {
    /// Decodes `%XX` escapes (passwords in URLs).
    func removingPercentEncodingIfNeeded() -> String {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var it = utf8.makeIterator()
        while let b = it.next() {
            if b == UInt8(ascii: "%"), let h = it.next(), let l = it.next(),
                let v = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16)
            {
                bytes.append(v)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
