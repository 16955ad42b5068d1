import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The terminal the CLI talks to: whether stdout/stderr are terminals (colour, progress lines),
/// reading a password without echo, writing to stderr.
enum Terminal {
    /// stdout is a terminal (and colour is not turned off by `NO_COLOR`).
    static let colourOut = isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    /// stderr is a terminal: progress and summary lines may redraw themselves.
    static let interactiveErr = isatty(STDERR_FILENO) == 1
    /// stdin is a terminal: prompts are possible.
    static let interactiveIn = isatty(STDIN_FILENO) == 1

    /// Writes a line to stderr.
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Redraws the current stderr line (terminals only).
    static func status(_ line: String) {
        guard interactiveErr else { return }
        FileHandle.standardError.write(Data(("\r\u{1B}[2K" + line).utf8))
    }

    /// Writes text to stdout unbuffered (events, rows: a pipe reader sees each line at once).
    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// `text` in an ANSI colour when stdout is a terminal.
    static func paint(_ text: String, _ colour: Int) -> String {
        colourOut ? "\u{1B}[\(colour)m\(text)\u{1B}[0m" : text
    }

    /// Asks on stderr and reads one line from stdin.
    static func prompt(_ question: String) -> String? {
        FileHandle.standardError.write(Data(question.utf8))
        return readLine(strippingNewline: true)
    }

    /// Asks for a secret and reads it with echo turned off (on a terminal).
    static func secret(_ question: String) -> String? {
        FileHandle.standardError.write(Data(question.utf8))
        var saved = termios()
        let isTTY = tcgetattr(STDIN_FILENO, &saved) == 0
        if isTTY {
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)
        }
        defer {
            if isTTY {
                tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved)
                FileHandle.standardError.write(Data("\n".utf8))
            }
        }
        return readLine(strippingNewline: true)
    }
}
