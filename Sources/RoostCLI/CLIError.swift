import ArgumentParser
import Foundation

/// A failure the CLI reports in one line on stderr, with the exit code docs/cli.md documents:
/// 1 failure, 2 usage, 3 not found, 4 authentication.
public struct CLIError: Error, CustomStringConvertible {
    /// The process's exit code for this failure.
    public var code: Int32
    /// What went wrong and, where there is one, what to do about it.
    public var message: String

    public var description: String { message }

    /// A failure of the operation itself (the server refused, the network failed): exit 1.
    public static func failure(_ message: String) -> CLIError { CLIError(code: 1, message: message) }
    /// The command line was wrong: exit 2.
    public static func usage(_ message: String) -> CLIError { CLIError(code: 2, message: message) }
    /// What was asked for does not exist (or is not visible): exit 3.
    public static func notFound(_ message: String) -> CLIError { CLIError(code: 3, message: message) }
    /// Not logged in, token expired or refused, or not allowed: exit 4.
    public static func auth(_ message: String) -> CLIError { CLIError(code: 4, message: message) }
}

/// Runs a command's body: a ``CLIError`` becomes its message on stderr and its exit code.
func reporting(_ body: () async throws -> Void) async throws {
    do {
        try await body()
    } catch let error as CLIError {
        Terminal.error("roost: \(error.message)")
        throw ExitCode(error.code)
    }
}
