public import ArgumentParser
import Foundation

/// `roost tail`: live events from the realtime WebSocket, as aligned lines or NDJSON;
/// reconnects with backoff and says so.
public struct Tail: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        abstract: "Follow devices' live events (telemetry, status, commands, alerts, shadow).",
        discussion: """
            Without --device or --tenant it follows every device the account can see.
            Examples:
              roost tail --device pump-1 --device pump-2
              roost tail --tenant acme --kinds status,alert
              roost tail --json | jq 'select(.type=="telemetry") | .data.temp'
            """)

    @OptionGroup var options: ServerOptions
    @Option(name: .customLong("device"), help: "A device (uid or id); repeat for several.") var devices: [String] = []
    @Option(help: "A whole tenant (platform admins: any tenant by name).") var tenant: String?
    @Option(help: "Event kinds, comma separated: telemetry,status,command,alert,shadow (default all).")
    var kinds: String?
    @Flag(help: "Print each event as the server's JSON, one per line (NDJSON).") var json = false
    @Option(help: "Stop after this many events.") var count: Int?

    public init() {}

    public func validate() throws {
        let allowed: Set = ["telemetry", "status", "command", "alert", "shadow"]
        for kind in kindList where !allowed.contains(kind) {
            throw ValidationError("unknown kind \(kind): use \(allowed.sorted().joined(separator: ","))")
        }
        if let count, count < 1 { throw ValidationError("--count must be at least 1") }
    }

    var kindList: [String] {
        (kinds ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    public func run() async throws {
        try await reporting {
            let client = try APIClient.make(options)
            var subscription: [String: Any] = ["type": "subscribe"]
            if !devices.isEmpty { subscription["devices"] = devices }
            if let tenant { subscription["tenant"] = tenant }
            if devices.isEmpty && tenant == nil { subscription["tenant"] = true }
            if !kindList.isEmpty { subscription["kinds"] = kindList }
            let seen = Counter()
            let limit = count
            let asJSON = json
            var backoff = 1.0
            var attempt = 0
            while true {
                attempt += 1
                let connected = StopFlag()
                let again = attempt > 1
                let end = await RealtimeStream(client: client, subscribe: subscription).run(
                    onReady: {
                        connected.set()
                        if again {
                            Terminal.error("roost: reconnected to \(client.server)")
                        } else if Terminal.interactiveErr {
                            Terminal.error("following \(client.server) (Ctrl-C to stop)")
                        }
                    },
                    onEvent: { event, text in
                        guard let type = event["type"] as? String else { return true }
                        if type == "lagged" {
                            Terminal.error("roost: \(event["dropped"] ?? "?") events dropped: this terminal reads too slowly")
                            return true
                        }
                        if asJSON {
                            guard !["snapshot", "ready", "pong", "error"].contains(type) else { return true }
                            Terminal.out(text + "\n")
                        } else {
                            guard let line = EventLine.render(event) else { return true }
                            Terminal.out(line + "\n")
                        }
                        let n = seen.increment()
                        return limit.map { n < $0 } ?? true
                    })
                if connected.isSet { backoff = 1 }
                switch end {
                case .done:
                    return
                case .closed(let code, let reason):
                    if code == 4401 {
                        // The access token expired while following: a fresh one, then on.
                        guard try await client.refresh() else {
                            throw CLIError.auth("the server ended the session (\(reason ?? "4401")): run `roost login`")
                        }
                        continue
                    }
                    if code == 4403 { throw CLIError.notFound(reason ?? "not allowed to follow that device") }
                    Terminal.error("roost: the server closed the stream (\(code.map(String.init) ?? "?") \(reason ?? "")); reconnecting in \(Int(backoff)) s")
                case .failed(let why):
                    if why.contains("401") || why.contains("unauthorized") {
                        guard try await client.refresh() else { throw CLIError.auth("token refused: run `roost login`") }
                        continue
                    }
                    Terminal.error("roost: cannot reach \(client.server) (\(why.prefix(120))); reconnecting in \(Int(backoff)) s")
                }
                try await Task.sleep(for: .milliseconds(Int(backoff * 1000)))
                backoff = min(backoff * 2, 30)
            }
        }
    }
}

/// A count shared with a handler.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = 0
    func increment() -> Int { lock.withLock { value += 1; return value } }
}
