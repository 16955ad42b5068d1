/// Which database a server or a command works on.
public enum DatabaseLocation: Sendable, Hashable, CustomStringConvertible {
    /// An SQLite file (created if missing), with `synchronous=FULL` when asked.
    case sqlite(path: String, synchronousFull: Bool)
    /// A PostgreSQL database, optionally in one schema (`search_path`).
    case postgres(url: String, searchPath: String?)

    /// `sqlite` (the file `roost.sqlite` under `dataDir`) or a `postgres://`/`postgresql://` URL.
    public init(_ database: String, dataDir: String, synchronousFull: Bool = false, searchPath: String? = nil)
        throws(SettingsError)
    {
        if database == "sqlite" {
            self = .sqlite(path: dataDir + "/roost.sqlite", synchronousFull: synchronousFull)
        } else if database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") {
            self = .postgres(url: database, searchPath: searchPath)
        } else {
            throw SettingsError("--database must be 'sqlite' or a postgres:// URL, got '\(Self.redacted(database))'")
        }
    }

    /// For logs: the file, or the URL without its password.
    public var description: String {
        switch self {
        case .sqlite(let path, _): "sqlite \(path)"
        case .postgres(let url, let searchPath):
            "postgres \(Self.redacted(url))" + (searchPath.map { " schema \($0)" } ?? "")
        }
    }

    /// The URL without its password.
    public static func redacted(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@"), let scheme = url.range(of: "://") else { return url }
        let credentials = url[scheme.upperBound..<at]
        guard let colon = credentials.firstIndex(of: ":") else { return url }
        return url.replacingCharacters(in: colon..<at, with: ":***")
    }
}
