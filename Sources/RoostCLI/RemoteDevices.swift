public import ArgumentParser
import Foundation

/// `roost device list|show|delete` and `roost device create|rotate --server`: devices on a
/// running server, through its API.
public enum RemoteDevices {
    /// `roost device list`.
    public struct List: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "List devices with their status, last seen time and labels.",
            discussion: """
                Examples:
                  roost device list --status online
                  roost device list --label site:north --search pump --json
                """)
        @OptionGroup var options: ServerOptions
        @Option(help: "online, offline or unknown.") var status: String?
        @Option(help: "A label key:value the devices must have.") var label: String?
        @Option(help: "Text the uid or name contains.") var search: String?
        @Option(help: "Platform admins: only this tenant.") var tenant: String?
        @Option(help: "At most this many (1-1000).") var limit = 100
        @Flag(help: "Print the server's JSON.") var json = false
        public init() {}

        public func run() async throws {
            try await reporting {
                var query = ["limit=\(limit)"]
                if let status { query.append("status=\(escaped(status))") }
                if let label { query.append("label=\(escaped(label))") }
                if let search { query.append("q=\(escaped(search))") }
                if let tenant { query.append("tenant=\(escaped(tenant))") }
                let reply = try await APIClient.make(options).send(.GET, "/api/v1/devices?" + query.joined(separator: "&"))
                if json {
                    print(String(buffer: reply.body))
                    return
                }
                let items = reply.object["items"] as? [[String: Any]] ?? []
                let rows = items.map { d -> [String] in
                    let labels = (d["labels"] as? [String: Any]).map(EventLine.fields) ?? ""
                    return [
                        "\(d["id"] ?? "")", d["uid"] as? String ?? "", d["tenant"] as? String ?? "",
                        d["status"] as? String ?? "", d["last_seen"] as? String ?? "-", labels,
                    ]
                }
                print(Table.render(header: ["ID", "UID", "TENANT", "STATUS", "LAST SEEN", "LABELS"], rows: rows))
                if reply.object["next_cursor"] is String { Terminal.error("(more: raise --limit or narrow the filter)") }
            }
        }
    }

    /// `roost device show DEVICE`.
    public struct Show: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Show one device (status, labels, latest values) as JSON.",
            discussion: "Example:\n  roost device show pump-1")
        @OptionGroup var options: ServerOptions
        @Argument(help: "The device (uid or id).") var device: String
        public init() {}
        public func run() async throws {
            try await reporting {
                let reply = try await APIClient.make(options).send(.GET, "/api/v1/devices/\(escaped(device))")
                print(EventLine.pretty(reply.json ?? [:]))
            }
        }
    }

    /// `roost device delete DEVICE`.
    public struct Delete: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Delete a device, its credentials and its data (asks first unless --yes).",
            discussion: "Example:\n  roost device delete pump-1 --yes")
        @OptionGroup var options: ServerOptions
        @Argument(help: "The device (uid or id).") var device: String
        @Flag(help: "Do not ask.") var yes = false
        public init() {}
        public func run() async throws {
            try await reporting {
                if !yes {
                    guard Terminal.interactiveIn else { throw CLIError.usage("deleting needs --yes when stdin is not a terminal") }
                    guard Terminal.prompt("Delete \(device) and all its data? [y/N] ")?.lowercased() == "y" else {
                        throw CLIError.failure("not deleted")
                    }
                }
                try await APIClient.make(options).send(.DELETE, "/api/v1/devices/\(escaped(device))")
                print("deleted \(device)")
            }
        }
    }

    /// Creates (or re-keys) a device through the API and prints its credentials once, with a
    /// `mosquitto_pub` line to try them.
    public static func issue(
        server: ServerOptions, uid: String, tenant: String?, rotate: Bool, mqttHost: String
    ) async throws {
        try await reporting {
            let client = try APIClient.make(server)
            let reply: APIClient.Reply
            if rotate {
                let query = tenant.map { "?tenant=\(escaped($0))" } ?? ""
                reply = try await client.send(.POST, "/api/v1/devices/\(escaped(uid))/credentials\(query)")
            } else {
                var body: [String: Any] = ["uid": uid]
                if let tenant { body["tenant"] = tenant }
                reply = try await client.send(.POST, "/api/v1/devices", body: body)
            }
            let object = reply.object
            let credentials = object["credentials"] as? [String: Any] ?? object
            print(EventLine.pretty(object))
            if let user = credentials["mqtt_username"] as? String, let password = credentials["mqtt_password"] as? String {
                let owner = object["tenant"] as? String ?? tenant ?? "t0"
                Terminal.error("""
                    Shown once. Try it:
                      mosquitto_pub -h \(mqttHost) -p 1883 -i '\(uid)' -u '\(user)' -P '\(password)' -q 1 \\
                        -t '\(owner)/devices/\(uid)/telemetry' -m '{"msg_id":"1","data":{"temp":21.5}}'
                    """)
            }
        }
    }
}
