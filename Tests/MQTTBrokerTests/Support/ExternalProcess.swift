import Foundation

/// Runs a program no one here wrote (mosquitto_pub/sub, python with paho-mqtt) and gathers
/// its output. Every run is bounded: past `timeout` the process is terminated.
struct ExternalProcess {
    /// Serializes `Process.run()` across the test process.
    static let launchLock = NSLock()

    struct Result {
        var status: Int32
        var output: String
        var timedOut: Bool
    }

    /// Locates `name` on PATH.
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A started process whose output is collected until it exits.
    final class Running: @unchecked Sendable {
        // Process is not Sendable; it is only touched from the creating task and `wait`.
        let process = Process()
        private let pipe = Pipe()

        init(_ executable: String, _ arguments: [String]) throws {
            guard let path = executable.hasPrefix("/") ? executable : ExternalProcess.which(executable) else {
                throw ProcessMissing(name: executable)
            }
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = arguments
            process.standardOutput = pipe
            process.standardError = pipe
            // One launch at a time: Foundation's Process.run() copies the environment and file
            // actions without a lock, and concurrent launches from parallel tests crashed in it.
            try ExternalProcess.launchLock.withLock { try process.run() }
        }

        /// Waits for exit (terminating the process after `timeout` seconds).
        func wait(timeout: Double) async -> Result {
            let deadline = Date().addingTimeInterval(timeout)
            var timedOut = false
            while process.isRunning {
                if Date() > deadline {
                    timedOut = true
                    process.terminate()
                    break
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
            process.waitUntilExit()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            return Result(
                status: process.terminationStatus, output: String(decoding: data, as: UTF8.self), timedOut: timedOut)
        }

        func terminate() { if process.isRunning { process.terminate() } }

        /// A test that fails before waiting must not leave its peer behind (mosquitto_sub, for
        /// one, reconnects forever once its broker is gone).
        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
    }

    /// Runs to completion.
    static func run(_ executable: String, _ arguments: [String], timeout: Double = 20) async throws -> Result {
        try await Running(executable, arguments).wait(timeout: timeout)
    }
}

/// A required peer program is not installed (scripts/test installs them).
struct ProcessMissing: Error, CustomStringConvertible {
    let name: String
    var description: String { "\(name) is not installed; run scripts/test, which installs the test peers" }
}

/// Path of a file in Tests/MQTTBrokerTests/Peers.
func peerScript(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Peers").appendingPathComponent(name).path
}
