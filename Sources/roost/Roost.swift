import ArgumentParser
import Foundation
import RoostCLI

/// `roost`: the Roost server and its tools.
@main
struct Roost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roost",
        abstract: "Roost: an MQTT broker and IoT telemetry platform.",
        subcommands: [
            Serve.self, Migrate.self, UserCommand.self, DeviceCommand.self, Simulate.self, BenchCommand.self, BackupCommand.self,
            Login.self, Logout.self, Whoami.self, TenantCommand.self, Tail.self, CommandGroup.self, Export.self,
        ],
        defaultSubcommand: Serve.self
    )

    /// Runs the command; exit codes are docs/cli.md's: 0 ok, 1 failure, 2 usage, 3 not found,
    /// 4 authentication (ArgumentParser's own 64 for a bad command line becomes 2).
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asynchronous = command as? any AsyncParsableCommand {
                try await asynchronous.run()
            } else {
                try command.run()
            }
        } catch {
            if exitCode(for: error) == .validationFailure {
                FileHandle.standardError.write(Data((fullMessage(for: error) + "\n").utf8))
                Foundation.exit(2)
            }
            exit(withError: error)
        }
    }
}
