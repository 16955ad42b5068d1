public import ArgumentParser
import Foundation

/// `roost login URL`: asks for the password (no echo) or reads it from stdin, keeps the token
/// pair in the credentials file (mode 0600).
public struct Login: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Log in to a Roost server and keep the session for the other commands.",
        discussion: """
            Examples:
              roost login http://127.0.0.1:8080 --email admin@roost.local
              echo "$PW" | roost login https://roost.example.com --email ops@example.com --password-stdin
            """)

    @Argument(help: "Server URL (default: ROOST_SERVER, else http://127.0.0.1:8080).") var url: String?
    @Option(help: "Account email (asked for when missing).") var email: String?
    @Flag(help: "Read the password from stdin (one line) instead of asking.") var passwordStdin = false

    public init() {}

    public func run() async throws {
        try await reporting {
            var credentials = try Credentials.load()
            var options = ServerOptions()
            options.server = url
            let server = options.resolved(Credentials())
            guard let email = email ?? (Terminal.interactiveIn ? Terminal.prompt("Email: ") : nil), !email.isEmpty else {
                throw CLIError.usage("an email is needed: --email E")
            }
            let password: String?
            if passwordStdin {
                password = readLine(strippingNewline: true)
            } else if Terminal.interactiveIn {
                password = Terminal.secret("Password for \(email): ")
            } else {
                throw CLIError.usage("stdin is not a terminal: pass --password-stdin and the password on stdin")
            }
            guard let password, !password.isEmpty else { throw CLIError.usage("no password given") }
            let client = APIClient(server: server, session: nil)
            let reply = try await client.raw(
                .POST, "/api/v1/auth/login", body: ["email": email, "password": password], authenticated: false)
            guard reply.status == 200, let access = reply.object["access_token"] as? String,
                let refresh = reply.object["refresh_token"] as? String
            else {
                if reply.status == 401 || reply.status == 429 {
                    let message = (reply.object["error"] as? [String: Any])?["message"] as? String
                    throw CLIError.auth(message ?? "login refused")
                }
                throw APIClient.failure(reply, method: .POST, path: "/api/v1/auth/login")
            }
            credentials.servers[server] = .init(email: email, accessToken: access, refreshToken: refresh)
            credentials.current = server
            try credentials.save()
            Terminal.out("logged in to \(server) as \(email)\n")
        }
    }
}

/// `roost logout`: revokes the refresh token on the server and forgets the session.
public struct Logout: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Log out: the server forgets the session's refresh token, the credentials file loses it.",
        discussion: "Example:\n  roost logout --server http://127.0.0.1:8080")

    @OptionGroup var options: ServerOptions

    public init() {}

    public func run() async throws {
        try await reporting {
            var credentials = try Credentials.load()
            let server = options.resolved(credentials)
            guard let session = credentials.servers[server] else {
                Terminal.out("not logged in to \(server)\n")
                return
            }
            let client = APIClient(server: server, session: session)
            // Best effort: a server that is down still loses the local session.
            _ = try? await client.raw(
                .POST, "/api/v1/auth/logout", body: ["refresh_token": session.refreshToken], authenticated: false)
            credentials.servers[server] = nil
            if credentials.current == server { credentials.current = credentials.servers.keys.sorted().first }
            try credentials.save()
            Terminal.out("logged out of \(server)\n")
        }
    }
}

/// `roost whoami`: the account the session is, on which server.
public struct Whoami: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Show who the stored session (or ROOST_TOKEN) is on the server.",
        discussion: "Example:\n  roost whoami")

    @OptionGroup var options: ServerOptions
    @Flag(help: "Print the server's JSON.") var json = false

    public init() {}

    public func run() async throws {
        try await reporting {
            let client = try APIClient.make(options)
            let me = try await client.send(.GET, "/api/v1/me")
            if json {
                Terminal.out(String(buffer: me.body) + "\n")
                return
            }
            let object = me.object
            let email = object["email"] as? String ?? "?"
            let role = object["role"] as? String ?? "?"
            let tenant = (object["tenant_id"] as? Int).map { ", tenant id \($0)" } ?? ""
            Terminal.out("\(email) (\(role)\(tenant)) on \(client.server)\n")
        }
    }
}
