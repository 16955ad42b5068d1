public import ArgumentParser
import AsyncHTTPClient
import Foundation
import NIOCore

/// `roost export DEVICE --format csv|ndjson [--from] [--to] [--output FILE]`: the server's
/// export streamed to a file or stdout in constant memory, with a progress line on a terminal.
public struct Export: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Export a device's telemetry as CSV or NDJSON, streamed.",
        discussion: """
            Times are RFC 3339 or epoch milliseconds, as in the API.
            Examples:
              roost export pump-1 --format csv --from 2026-11-01T00:00:00Z --output pump-1.csv
              roost export pump-1 --format ndjson | gzip > pump-1.ndjson.gz
            """)

    @OptionGroup var options: ServerOptions
    @Argument(help: "The device (uid or id).") var device: String
    @Option(help: "csv or ndjson.") var format = "csv"
    @Option(help: "From this time (inclusive).") var from: String?
    @Option(help: "Up to this time (exclusive).") var to: String?
    @Option(help: "Only these data keys, comma separated.") var keys: String?
    @Option(help: "Write here instead of stdout.") var output: String?

    public init() {}

    public func validate() throws {
        guard format == "csv" || format == "ndjson" else { throw ValidationError("--format must be csv or ndjson") }
    }

    public func run() async throws {
        try await reporting {
            let client = try APIClient.make(options)
            var query = ["format=\(format)"]
            if let from { query.append("from=\(escaped(from))") }
            if let to { query.append("to=\(escaped(to))") }
            if let keys { query.append("keys=\(escaped(keys))") }
            let path = "/api/v1/devices/\(escaped(device))/export?" + query.joined(separator: "&")
            var response = try await client.execute(client.request(path), timeout: .hours(24))
            if response.status.code == 401, try await client.refresh() {
                response = try await client.execute(client.request(path), timeout: .hours(24))
            }
            guard response.status.code == 200 else {
                let body = try await response.body.collect(upTo: 1 << 20)
                throw APIClient.failure(
                    .init(status: Int(response.status.code), headers: response.headers, body: body), method: .GET, path: path)
            }
            let sink: FileHandle
            if let output {
                guard FileManager.default.createFile(atPath: output, contents: nil) else {
                    throw CLIError.failure("cannot create \(output)")
                }
                guard let handle = FileHandle(forWritingAtPath: output) else { throw CLIError.failure("cannot open \(output)") }
                sink = handle
            } else {
                sink = FileHandle.standardOutput
            }
            defer { if output != nil { try? sink.close() } }
            var bytes = 0
            var lines = 0
            let started = Date()
            var lastDraw = Date.distantPast
            for try await chunk in response.body {
                bytes += chunk.readableBytes
                lines += chunk.readableBytesView.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
                try sink.write(contentsOf: Data(chunk.readableBytesView))
                if Date().timeIntervalSince(lastDraw) > 0.2 {
                    lastDraw = Date()
                    Terminal.status(Self.progress(lines: lines, bytes: bytes, since: started, csv: format == "csv"))
                }
            }
            let rows = format == "csv" ? max(0, lines - 1) : lines
            if Terminal.interactiveErr {
                Terminal.status(Self.progress(lines: lines, bytes: bytes, since: started, csv: format == "csv") + "\n")
            } else if let output {
                Terminal.error("exported \(rows) rows (\(bytes) bytes) to \(output)")
            }
        }
    }

    static func progress(lines: Int, bytes: Int, since: Date, csv: Bool) -> String {
        let rows = csv ? max(0, lines - 1) : lines
        let seconds = max(0.001, Date().timeIntervalSince(since))
        return String(format: "%d rows  %.1f MB  %.0f rows/s", rows, Double(bytes) / 1e6, Double(rows) / seconds)
    }
}
