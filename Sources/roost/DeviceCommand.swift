import ArgumentParser
import Foundation
import RoostCLI
import RoostCore
import RoostStore

/// `roost device`: device credentials from the command line.
struct DeviceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device", abstract: "Devices: create and re-key them (data directory or --server), list, show, delete.",
        subcommands: [Create.self, Rotate.self, RemoteDevices.List.self, RemoteDevices.Show.self, RemoteDevices.Delete.self])

    struct StoreOptions: ParsableArguments {
        @OptionGroup var database: DatabaseOptions
        @Option(help: "Tenant name as it appears in topics (default t0; with --server, the account's).")
        var tenant: String?
        @Option(help: "Device uid (unique within the tenant).") var uid: String

        var tenantName: String { tenant ?? "t0" }
    }

    /// `roost device create`: registers a device and prints its credentials once.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a device and print its MQTT credentials and API key (shown once).")
        @OptionGroup var options: StoreOptions
        @OptionGroup var remote: ServerOptions
        func run() async throws { try await DeviceCommand.issue(options, remote, rotate: false) }
    }

    /// `roost device rotate`: replaces a device's credentials.
    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace a device's credentials; the old ones stop working at once.")
        @OptionGroup var options: StoreOptions
        @OptionGroup var remote: ServerOptions
        func run() async throws { try await DeviceCommand.issue(options, remote, rotate: true) }
    }

    /// With a server named, through its API (as the logged-in account); else on the data directory.
    static func issue(_ o: StoreOptions, _ remote: ServerOptions, rotate: Bool) async throws {
        if remote.named {
            try await RemoteDevices.issue(
                server: remote, uid: o.uid, tenant: o.tenant, rotate: rotate, mqttHost: remote.host)
            return
        }
        try await issue(o)
    }

    static func issue(_ o: StoreOptions) async throws {
        let key = DeviceKey(tenant: o.tenantName, uid: o.uid)
        let now = SystemEpochClock.now()
        let credentials = try await o.database.withAPIStore { store in
            try await store.issueCredentials(for: key, now: now).1
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(
            String(
                decoding: try encoder.encode(DeviceOutput(tenant: o.tenantName, uid: o.uid, credentials: credentials)),
                as: UTF8.self))
    }
}

private struct DeviceOutput: Encodable {
    let tenant: String
    let uid: String
    let credentials: DeviceCredentials
}
