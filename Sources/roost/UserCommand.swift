import ArgumentParser
import Foundation
import HummingbirdBcrypt
import RoostCLI
import RoostCore
import RoostStore

/// `roost user`: people's accounts from the command line — create one, set a forgotten
/// password (which also ends the user's sessions), list them.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user",
        abstract: "Create users, reset passwords, list users (on the data directory, or with --server through the API).",
        subcommands: [Create.self, Password.self, List.self])

    /// The password from ROOST_USER_PASSWORD, else one generated and printed once.
    static func password() throws -> (text: String, generated: Bool) {
        if let text = ProcessInfo.processInfo.environment["ROOST_USER_PASSWORD"] {
            guard text.count >= 8 else { throw ValidationError("ROOST_USER_PASSWORD must have at least 8 characters") }
            return (text, false)
        }
        let bytes = (0..<15).map { _ in UInt8.random(in: 0...255) }
        let text = Data(bytes).base64EncodedString().replacingOccurrences(of: "/", with: "x").replacingOccurrences(
            of: "+", with: "y")
        return (text, true)
    }

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a user. The password comes from ROOST_USER_PASSWORD, or is generated and printed once.")
        @OptionGroup var store: DatabaseOptions
        @Option(help: "Email (the login name).") var email: String
        @Option(help: "platform_admin, tenant_admin, operator or viewer.") var role = "viewer"
        @Option(help: "Tenant name (not for platform admins); created if missing.") var tenant: String?
        @Option(help: "Display name.") var name = ""
        @OptionGroup var remote: ServerOptions

        func run() async throws {
            guard let role = Role(rawValue: role) else {
                throw ValidationError("--role must be one of \(Role.allCases.map(\.rawValue))")
            }
            guard (role == .platformAdmin) == (tenant == nil) else {
                throw ValidationError("platform admins have no --tenant; every other role needs one")
            }
            let (password, generated) = try UserCommand.password()
            if remote.named {
                // Through the running server's API, as the logged-in account.
                try await RemoteUsers.create(
                    server: remote, email: email.lowercased(), role: role.rawValue, tenant: tenant, name: name,
                    password: password)
                if generated { print("password: \(password)  (shown once)") }
                return
            }
            let now = SystemEpochClock.now()
            let user = try await store.withAPIStore { api in
                var tenantID: Int64?
                if let tenant {
                    tenantID = try await api.tenants().first { $0.name == tenant }?.id
                    if tenantID == nil { tenantID = try await api.createTenant(name: tenant, now: now).id }
                }
                return try await api.createUser(
                    email: email.lowercased(), name: name, role: role, tenantID: tenantID,
                    passwordHash: Bcrypt.hash(password, cost: 10),
                    now: now)
            }
            print("created \(user.email) (\(user.role.rawValue)), id \(user.id)")
            if generated { print("password: \(password)  (shown once)") }
        }
    }

    struct Password: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "password",
            abstract: "Set a user's password (ROOST_USER_PASSWORD, or generated and printed once) and end its sessions.",
            discussion: """
                Examples:
                  roost user password --email ops@example.com                 # on the data directory
                  roost user password --email ops@example.com --server https://roost.example.com
                """
        )
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var remote: ServerOptions
        @Option(help: "Email of the user.") var email: String

        func run() async throws {
            let (password, generated) = try UserCommand.password()
            if remote.named {
                // Through the running server's API, as the logged-in account.
                try await RemoteUsers.password(server: remote, email: email, password: password)
                if generated { print("password: \(password)  (shown once)") }
                return
            }
            let changed = try await store.withAPIStore { api -> Bool in
                guard let user = try await api.user(email: email.lowercased()) else { return false }
                _ = try await api.updateUser(
                    id: user.id, name: nil, role: nil, passwordHash: Bcrypt.hash(password, cost: 10))
                try await api.revokeRefreshTokens(userID: user.id)
                return true
            }
            guard changed else { throw ValidationError("no user with email \(email)") }
            print("password of \(email.lowercased()) changed; its refresh tokens are revoked")
            if generated { print("password: \(password)  (shown once)") }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users: id, email, role, tenant id.")
        @OptionGroup var store: DatabaseOptions
        @OptionGroup var remote: ServerOptions

        func run() async throws {
            if remote.named { return try await RemoteUsers.list(server: remote) }
            let users = try await store.withAPIStore { api in try await api.users(tenantID: nil) }
            for u in users { print("\(u.id)\t\(u.email)\t\(u.role.rawValue)\t\(u.tenantID.map(String.init) ?? "-")") }
        }
    }
}
