import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// `roost bench`: runs `roost-bench`, the load generator built beside `roost` (its own target,
/// so the server binary carries no benchmark code), with the same arguments.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "MQTT load generator and store ceilings (runs roost-bench; see roost bench --help).",
        discussion: "Example: roost bench --port 1883 --publishers 100 --subscribers 1 --qos 1 --duration 10")

    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

    func run() throws {
        let executable = Bundle.main.executableURL?.resolvingSymlinksInPath()
            ?? URL(fileURLWithPath: CommandLine.arguments[0])
        let tool = executable.deletingLastPathComponent().appendingPathComponent("roost-bench").path
        guard FileManager.default.isExecutableFile(atPath: tool) else {
            throw ValidationError(
                "roost bench runs roost-bench, which is not beside \(executable.path): build it with `swift build -c release --product roost-bench`"
            )
        }
        let argv = ([tool] + arguments).map { strdup($0) } + [nil]
        execv(tool, argv)
        throw ValidationError("cannot run \(tool): \(String(cString: strerror(errno)))")
    }
}
