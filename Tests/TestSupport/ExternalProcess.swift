public import Foundation
public import Synchronization

#if canImport(Glibc)
    public import Glibc
#endif

/// Runs a program no one here wrote (mosquitto_pub/sub, python with paho-mqtt) and gathers
/// its output. Every run is bounded: past `timeout` the process is terminated.
public struct ExternalProcess {
    /// How a process ended and what it wrote.
    public struct Result: Sendable, CustomStringConvertible {
        public var status: Int32
        /// stdout and stderr together, or stdout only when stderr was asked for apart.
        public var output: String
        /// stderr, when it was asked for apart.
        public var errors: String
        public var timedOut: Bool
        public var description: String { "exit \(status)\(timedOut ? " (timed out)" : ""): \(output)\(errors)" }
    }

    /// Locates `name` on PATH.
    public static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            let candidate = "\(dir)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// A started process whose output (stdout and stderr) goes to a file read when it exits.
    ///
    /// Started with posix_spawn rather than Foundation's Process: with many descriptors being
    /// opened and closed by the servers under test, Process.run() crashed in a memcpy of its
    /// own (seen in full test runs); a file instead of a pipe also means a chatty peer never
    /// blocks on a full pipe.
    public final class Running: Sendable {
        /// The child, as other tests signal it (`process.processIdentifier`).
        public struct Child: Sendable {
            public let processIdentifier: pid_t
        }

        public let process: Child
        private let outputPath: String
        private let errorPath: String?
        private let inputPath: String?
        private let status = Mutex<Int32?>(nil)

        /// Starts `executable` (a path, or a name found on PATH). `environment` replaces this
        /// process's when given; `stdin` is fed from a file holding that text (else /dev/null);
        /// `separateErrors` keeps stderr apart in ``Result/errors``.
        public init(
            _ executable: String, _ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil,
            separateErrors: Bool = false
        ) throws {
            guard let path = executable.hasPrefix("/") ? executable : ExternalProcess.which(executable) else {
                throw ProcessMissing(name: executable)
            }
            let base = FileManager.default.temporaryDirectory.appendingPathComponent("roost-peer-\(UUID().uuidString)").path
            outputPath = base + ".log"
            errorPath = separateErrors ? base + ".err" : nil
            inputPath = stdin.map { _ in base + ".in" }
            var actions = posix_spawn_file_actions_t()
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            if let inputPath, let stdin {
                guard FileManager.default.createFile(atPath: inputPath, contents: Data(stdin.utf8)) else {
                    throw SpawnFailed(path: inputPath, code: EIO)
                }
                posix_spawn_file_actions_addopen(&actions, 0, inputPath, O_RDONLY, 0)
            } else {
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            }
            posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            if let errorPath {
                posix_spawn_file_actions_addopen(&actions, 2, errorPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            } else {
                posix_spawn_file_actions_adddup2(&actions, 1, 2)
            }
            // Nothing else of this process goes with the child: a server socket it held would
            // stay open after the server closed it, and its peer would never see the close.
            guard let closeFrom = Self.addCloseFrom else { throw SpawnFailed(path: path, code: ENOSYS) }
            closeFrom(&actions, 3)
            let argv = ([path] + arguments).map { strdup($0) } + [nil]
            defer { for arg in argv { free(arg) } }
            let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { env in
                env.map { strdup("\($0.key)=\($0.value)") } + [nil]
            }
            defer { for entry in envp ?? [] { free(entry) } }
            // The child starts with no signal blocked and every handler at its default: this
            // process's threads block or catch some (SIGTERM among them), and a child that
            // inherited that would ignore the SIGTERM that stops it.
            var attributes = posix_spawnattr_t()
            posix_spawnattr_init(&attributes)
            defer { posix_spawnattr_destroy(&attributes) }
            var none = sigset_t()
            sigemptyset(&none)
            var all = sigset_t()
            sigfillset(&all)
            posix_spawnattr_setsigmask(&attributes, &none)
            posix_spawnattr_setsigdefault(&attributes, &all)
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
            var pid: pid_t = 0
            let rc: Int32
            if let envp {
                rc = envp.withUnsafeBufferPointer { posix_spawn(&pid, path, &actions, &attributes, argv, $0.baseAddress) }
            } else {
                rc = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
            }
            guard rc == 0 else { throw SpawnFailed(path: path, code: rc) }
            process = Child(processIdentifier: pid)
        }

        /// glibc's posix_spawn_file_actions_addclosefrom_np (2.34+), which Swift's Glibc module
        /// does not declare.
        static let addCloseFrom: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32)? = {
            // nil: RTLD_DEFAULT, the process's own libraries.
            guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np")
            else { return nil }
            return unsafeBitCast(
                symbol, to: (@convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32).self)
        }()

        /// Whether the child has not exited yet (reaps it when it has).
        public var isRunning: Bool {
            status.withLock { known in
                if known != nil { return false }
                var raw: Int32 = 0
                guard waitpid(process.processIdentifier, &raw, WNOHANG) == process.processIdentifier else { return true }
                known = Self.exitCode(raw)
                return false
            }
        }

        private static func exitCode(_ raw: Int32) -> Int32 {
            let signal = raw & 0x7f
            return signal == 0 ? (raw >> 8) & 0xff : 128 + signal
        }

        /// Waits for exit (terminating the process after `timeout` seconds).
        public func wait(timeout: Double) async -> Result {
            let deadline = Date().addingTimeInterval(timeout)
            var timedOut = false
            while isRunning {
                if Date() > deadline {
                    timedOut = true
                    terminate()
                    let hard = Date().addingTimeInterval(5)
                    while isRunning && Date() < hard { try? await Task.sleep(for: .milliseconds(10)) }
                    if isRunning { kill(process.processIdentifier, SIGKILL) }
                    while isRunning { try? await Task.sleep(for: .milliseconds(10)) }
                    break
                }
                try? await Task.sleep(for: .milliseconds(10))
            }
            let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            let errors = errorPath.flatMap { try? String(contentsOfFile: $0, encoding: .utf8) } ?? ""
            removeFiles()
            return Result(status: status.withLock { $0 } ?? -1, output: output, errors: errors, timedOut: timedOut)
        }

        private func removeFiles() {
            for file in [outputPath, errorPath, inputPath].compactMap({ $0 }) { try? FileManager.default.removeItem(atPath: file) }
        }

        public func terminate() { if isRunning { kill(process.processIdentifier, SIGTERM) } }

        /// A test that fails before waiting must not leave its peer behind (mosquitto_sub, for
        /// one, reconnects forever once its broker is gone).
        deinit {
            if isRunning {
                kill(process.processIdentifier, SIGKILL)
                var raw: Int32 = 0
                waitpid(process.processIdentifier, &raw, 0)
            }
            removeFiles()
        }
    }

    /// Runs to completion.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil, stdin: String? = nil,
        separateErrors: Bool = false, timeout: Double = 20
    ) async throws -> Result {
        try await Running(executable, arguments, environment: environment, stdin: stdin, separateErrors: separateErrors)
            .wait(timeout: timeout)
    }
}

/// posix_spawn failed.
public struct SpawnFailed: Error, CustomStringConvertible {
    let path: String
    let code: Int32
    public var description: String { "cannot start \(path): \(String(cString: strerror(code)))" }
}

/// A required peer program is not installed (scripts/test installs them).
public struct ProcessMissing: Error, CustomStringConvertible {
    let name: String
    public var description: String { "\(name) is not installed; run scripts/test, which installs the test peers" }
}

