import Foundation
public import ArgumentParser

/// `--server URL` (or `ROOST_SERVER`), shared by every command that talks to a running server.
public struct ServerOptions: ParsableArguments {
    @Option(name: .long, help: "Roost server URL (default: ROOST_SERVER, else the last `roost login`, else http://127.0.0.1:8080).")
    var server: String?

    public init() {}

    /// Whether a server was named (`--server` or `ROOST_SERVER`): commands that can also work
    /// on the data directory then go through the API.
    public var named: Bool {
        server != nil || !(ProcessInfo.processInfo.environment["ROOST_SERVER"] ?? "").isEmpty
    }

    /// The server's host, for example lines (`mosquitto_pub -h HOST`).
    public var host: String {
        let url = resolved((try? Credentials.load()) ?? Credentials())
        let rest = url.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first ?? "127.0.0.1"
        return String(rest.split(separator: ":").first ?? "127.0.0.1")
    }

    /// The URL to use, without a trailing slash.
    func resolved(_ credentials: Credentials) -> String {
        let environment = ProcessInfo.processInfo.environment["ROOST_SERVER"].flatMap { $0.isEmpty ? nil : $0 }
        return Self.normalized(server ?? environment ?? credentials.current ?? "http://127.0.0.1:8080")
    }

    /// `host:port` becomes `http://host:port`; a trailing slash goes.
    static func normalized(_ url: String) -> String {
        var text = url.contains("://") ? url : "http://" + url
        while text.hasSuffix("/") { text.removeLast() }
        return text
    }
}
