import Foundation

/// The token pairs `roost login` keeps, one per server, in
/// `$XDG_CONFIG_HOME/roost/credentials` (default `~/.config/roost/credentials`), a JSON file
/// only its owner may read (mode 0600, its directory 0700). The last server logged in to is
/// the default for commands without `--server`.
struct Credentials: Codable {
    /// One server's session.
    struct Session: Codable {
        var email: String
        var accessToken: String
        var refreshToken: String

        enum CodingKeys: String, CodingKey {
            case email, accessToken = "access_token", refreshToken = "refresh_token"
        }
    }

    var current: String?
    var servers: [String: Session] = [:]

    /// The file's path.
    static var path: URL {
        let environment = ProcessInfo.processInfo.environment
        let base =
            environment["XDG_CONFIG_HOME"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".config")
        return base.appendingPathComponent("roost").appendingPathComponent("credentials")
    }

    /// What the file holds; empty when there is none.
    static func load() throws -> Credentials {
        guard let data = FileManager.default.contents(atPath: path.path) else { return Credentials() }
        do {
            return try JSONDecoder().decode(Credentials.self, from: data)
        } catch {
            throw CLIError.failure("\(path.path) is not a credentials file roost wrote; remove it and run `roost login`")
        }
    }

    /// Writes the file atomically with mode 0600 (a temporary file of that mode, renamed).
    func save() throws {
        let file = Self.path
        let dir = file.deletingLastPathComponent()
        let manager = FileManager.default
        do {
            try manager.createDirectory(at: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let data = try encoder.encode(self)
            let temporary = dir.appendingPathComponent(".credentials-\(getpid())")
            guard manager.createFile(atPath: temporary.path, contents: data, attributes: [.posixPermissions: 0o600])
            else { throw CLIError.failure("cannot write \(temporary.path)") }
            if rename(temporary.path, file.path) != 0 {
                throw CLIError.failure("cannot write \(file.path): \(String(cString: strerror(errno)))")
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError.failure("cannot write \(file.path): \(error.localizedDescription)")
        }
    }
}
