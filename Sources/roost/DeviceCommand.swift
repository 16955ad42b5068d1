import ArgumentParser
import Foundation
import RoostCore
import RoostStore

/// `roost device`: device credentials from the command line.
struct DeviceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "device", abstract: "Create devices and issue their credentials.",
        subcommands: [Create.self, Rotate.self])

    struct StoreOptions: ParsableArguments {
        @OptionGroup var database: DatabaseOptions
        @Option(help: "Tenant name as it appears in topics.") var tenant = "t0"
        @Option(help: "Device uid (unique within the tenant).") var uid: String
    }

    /// `roost device create`: registers a device and prints its credentials once.
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a device and print its MQTT credentials and API key (shown once).")
        @OptionGroup var options: StoreOptions
        func run() async throws { try await DeviceCommand.issue(options) }
    }

    /// `roost device rotate`: replaces a device's credentials.
    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Replace a device's credentials; the old ones stop working at once.")
        @OptionGroup var options: StoreOptions
        func run() async throws { try await DeviceCommand.issue(options) }
    }

    static func issue(_ o: StoreOptions) async throws {
        let key = DeviceKey(tenant: o.tenant, uid: o.uid)
        let now = SystemEpochClock.now()
        let credentials = try await o.database.withAPIStore { store in
            try await store.issueCredentials(for: key, now: now).1
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        print(
            String(
                decoding: try encoder.encode(DeviceOutput(tenant: o.tenant, uid: o.uid, credentials: credentials)),
                as: UTF8.self))
    }
}

private struct DeviceOutput: Encodable {
    let tenant: String
    let uid: String
    let credentials: DeviceCredentials
}
