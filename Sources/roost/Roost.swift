import ArgumentParser

/// `roost`: the Roost server and its tools.
@main
struct Roost: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "roost",
        abstract: "Roost: an MQTT broker and IoT telemetry platform.",
        subcommands: [Serve.self, Migrate.self, UserCommand.self, DeviceCommand.self, Simulate.self, BenchCommand.self],
        defaultSubcommand: Serve.self
    )
}
