public import ArgumentParser
import Foundation

/// `roost tenant create|list`.
public struct TenantCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "tenant", abstract: "Tenants on a running server (platform admins).",
        subcommands: [Create.self, List.self])

    public init() {}

    /// `roost tenant create NAME`.
    public struct Create: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Create a tenant (its name is the first topic level of its devices).",
            discussion: "Example:\n  roost tenant create acme")
        @OptionGroup var options: ServerOptions
        @Argument(help: "The tenant's name.") var name: String
        public init() {}
        public func run() async throws {
            try await reporting {
                let reply = try await APIClient.make(options).send(.POST, "/api/v1/tenants", body: ["name": name])
                print("created tenant \(reply.object["name"] ?? name) (id \(reply.object["id"] ?? "?"))")
            }
        }
    }

    /// `roost tenant list`.
    public struct List: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "List tenants.", discussion: "Example:\n  roost tenant list --json")
        @OptionGroup var options: ServerOptions
        @Flag(help: "Print the server's JSON.") var json = false
        public init() {}
        public func run() async throws {
            try await reporting {
                let reply = try await APIClient.make(options).send(.GET, "/api/v1/tenants")
                if json {
                    print(String(buffer: reply.body))
                    return
                }
                let items = reply.object["items"] as? [[String: Any]] ?? (reply.json as? [[String: Any]] ?? [])
                print(
                    Table.render(
                        header: ["ID", "NAME", "CREATED"],
                        rows: items.map { ["\($0["id"] ?? "")", $0["name"] as? String ?? "", $0["created_at"] as? String ?? ""] }))
            }
        }
    }
}
