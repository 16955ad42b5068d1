public import ArgumentParser
import Foundation

/// `roost command`: send a command to a device and follow it; read one; list a device's.
public struct CommandGroup: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "command", abstract: "Send commands to devices and follow them.",
        subcommands: [Send.self, Show.self, List.self, Cancel.self])

    public init() {}

    /// `roost command send DEVICE CMD [--param k=v …] [--timeout S] [--wait]`.
    public struct Send: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Send a command; with --wait, follow it until the device answers.",
            discussion: """
                A --param value is JSON when it parses as JSON (numbers, true/false, objects), else a string.
                With --wait the exit code is 0 when the command succeeded and 1 when it failed, expired
                or was cancelled; the device's result is printed either way.
                Examples:
                  roost command send pump-1 reboot
                  roost command send pump-1 set_speed --param rpm=1200 --param mode=eco --timeout 30 --wait
                """)

        @OptionGroup var options: ServerOptions
        @Argument(help: "The device (uid or id).") var device: String
        @Argument(help: "The command name.") var command: String
        @Option(name: .customLong("param"), help: "A parameter k=v; repeat for several.") var params: [String] = []
        @Option(help: "Seconds the device has to answer (the server's default when missing).") var timeout: Int?
        @Flag(help: "Follow the command until it is final; exit 0 only if it succeeded.") var wait = false
        @Flag(help: "Print the server's JSON.") var json = false

        public init() {}

        public func validate() throws {
            for param in params where !param.contains("=") {
                throw ValidationError("--param \(param): write it as key=value")
            }
        }

        public func run() async throws {
            try await reporting {
                let client = try APIClient.make(options)
                var body: [String: Any] = ["command": command]
                if !params.isEmpty { body["params"] = Self.parameters(params) }
                if let timeout { body["timeout_s"] = timeout }
                let path = "/api/v1/devices/\(escaped(device))/commands"
                guard wait else {
                    let created = try await client.send(.POST, path, body: body)
                    print(json ? String(buffer: created.body) : Self.line(created.object))
                    return
                }
                try await follow(client, path: path, body: body)
            }
        }

        /// Subscribes to the device's command events first, then sends, so no step is missed.
        private func follow(_ client: APIClient, path: String, body: [String: Any]) async throws {
            let state = FollowState()
            let ready = AsyncStream<Void>.makeStream()
            let stream = RealtimeStream(
                client: client, subscribe: ["type": "subscribe", "devices": [device], "kinds": ["command"]])
            let asJSON = json
            let watcher = Task {
                await stream.run(onReady: { ready.continuation.yield() }) { event, _ in
                    guard event["type"] as? String == "command", let id = event["id"] as? String else { return true }
                    return state.observe(id: id, event: event, print: asJSON)
                }
            }
            defer { watcher.cancel() }
            // The socket answers its subscription with a snapshot; if it cannot (old server,
            // proxy), the GET polling below still follows the command.
            _ = await first(of: ready.stream, within: .seconds(5))
            let created = try await client.send(.POST, path, body: body)
            guard let id = created.object["id"] as? String else { throw CLIError.failure("the server gave no command id") }
            state.start(id: id, first: created.object, print: json)
            let limit = Double((created.object["expires_at"] as? String).flatMap(Self.secondsUntil) ?? 60) + 10
            let deadline = Date().addingTimeInterval(limit)
            while state.final == nil && Date() < deadline {
                try await Task.sleep(for: .milliseconds(250))
                if state.final == nil, state.quietFor > 2 {
                    // No event for a while: ask, in case the socket missed it.
                    let now = try await client.send(.GET, "/api/v1/commands/\(escaped(id))")
                    _ = state.observe(id: id, event: now.object, print: json)
                }
            }
            guard let final = state.final else { throw CLIError.failure("command \(id): no final status after \(Int(limit)) s") }
            guard final["status"] as? String == "succeeded" else {
                throw CLIError.failure("command \(id) \(final["status"] ?? "?")" + Self.result(final))
            }
        }

        static func parameters(_ pairs: [String]) -> [String: Any] {
            var out: [String: Any] = [:]
            for pair in pairs {
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                let (key, text) = (String(parts[0]), parts.count > 1 ? String(parts[1]) : "")
                out[key] = (try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])) ?? text
            }
            return out
        }

        static func line(_ command: [String: Any]) -> String {
            "\(command["id"] ?? "?")  \(command["status"] ?? "?")" + result(command)
        }

        static func result(_ command: [String: Any]) -> String {
            guard let result = command["result"], !(result is NSNull) else { return "" }
            return "  result " + EventLine.compact(result)
        }

        static func secondsUntil(_ text: String) -> Int? {
            let format = ISO8601DateFormatter()
            format.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            guard let date = format.date(from: text) ?? ISO8601DateFormatter().date(from: text) else { return nil }
            return max(0, Int(date.timeIntervalSinceNow.rounded(.up)))
        }
    }

    /// `roost command show ID`.
    public struct Show: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Show one command (status, params, result, times) as JSON.",
            discussion: "Example:\n  roost command show 0193e1c2-…")
        @OptionGroup var options: ServerOptions
        @Argument(help: "The command id.") var id: String
        public init() {}
        public func run() async throws {
            try await reporting {
                let reply = try await APIClient.make(options).send(.GET, "/api/v1/commands/\(escaped(id))")
                print(EventLine.pretty(reply.json ?? [:]))
            }
        }
    }

    /// `roost command list DEVICE [--status S]`.
    public struct List: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "A device's commands, newest first.",
            discussion: "Example:\n  roost command list pump-1 --status queued")
        @OptionGroup var options: ServerOptions
        @Argument(help: "The device (uid or id).") var device: String
        @Option(help: "Only commands in this status.") var status: String?
        @Option(help: "At most this many (1-1000).") var limit = 50
        public init() {}
        public func run() async throws {
            try await reporting {
                var path = "/api/v1/devices/\(escaped(device))/commands?limit=\(limit)"
                if let status { path += "&status=\(escaped(status))" }
                let reply = try await APIClient.make(options).send(.GET, path)
                let items = reply.object["items"] as? [[String: Any]] ?? []
                let rows = items.map { c in
                    [c["id"] as? String ?? "", c["command"] as? String ?? "", c["status"] as? String ?? "",
                     c["created_at"] as? String ?? ""]
                }
                print(Table.render(header: ["ID", "COMMAND", "STATUS", "CREATED"], rows: rows))
            }
        }
    }

    /// `roost command cancel ID`.
    public struct Cancel: AsyncParsableCommand {
        public static let configuration = CommandConfiguration(
            abstract: "Cancel a command that is still queued.", discussion: "Example:\n  roost command cancel 0193e1c2-…")
        @OptionGroup var options: ServerOptions
        @Argument(help: "The command id.") var id: String
        public init() {}
        public func run() async throws {
            try await reporting {
                let reply = try await APIClient.make(options).send(.POST, "/api/v1/commands/\(escaped(id))/cancel")
                print(Send.line(reply.object))
            }
        }
    }
}

/// What `--wait` has seen of one command: each new status printed once, the final one kept.
final class FollowState: @unchecked Sendable {
    private let lock = NSLock()
    private var id: String?
    private var early: [[String: Any]] = []
    private var printed: Set<String> = []
    private var highest = 0
    private var finalEvent: [String: Any]?
    private var lastEvent = Date()

    static let finals: Set = ["succeeded", "failed", "expired", "cancelled"]

    static func rank(_ status: Any?) -> Int {
        switch status as? String {
        case "queued": return 0
        case "sent": return 1
        case "delivered": return 2
        default: return 3
        }
    }

    func start(id: String, first: [String: Any], print asJSON: Bool) {
        let pending: [[String: Any]] = lock.withLock {
            self.id = id
            defer { early = [] }
            return early.filter { $0["id"] as? String == id }
        }
        // The socket may have told a later step before the POST answered: in lifecycle order.
        let ordered = ([first] + pending).sorted { Self.rank($0["status"]) < Self.rank($1["status"]) }
        for event in ordered { _ = observe(id: id, event: event, print: asJSON) }
    }

    /// Records an event (or a GET answer); false once the command is final.
    func observe(id: String, event: [String: Any], print asJSON: Bool) -> Bool {
        let line: String? = lock.withLock {
            guard let mine = self.id else {
                early.append(event)
                return nil
            }
            guard id == mine, let status = event["status"] as? String else { return nil }
            lastEvent = Date()
            if Self.finals.contains(status) { finalEvent = event }
            guard Self.rank(status) >= highest, printed.insert(status).inserted else { return nil }
            highest = Self.rank(status)
            if asJSON {
                var plain = event
                plain["type"] = nil
                let data = (try? JSONSerialization.data(withJSONObject: plain, options: [.sortedKeys])) ?? Data()
                return String(decoding: data, as: UTF8.self)
            }
            return "\(EventLine.clock(event["updated_at"] as? String))  \(status)" + CommandGroup.Send.result(event)
        }
        if let line { Terminal.out(line + "\n") }
        return lock.withLock { finalEvent == nil }
    }

    var final: [String: Any]? { lock.withLock { finalEvent } }
    var quietFor: TimeInterval { lock.withLock { Date().timeIntervalSince(lastEvent) } }
}

/// The first element of a stream, or nil after `timeout`.
func first(of stream: AsyncStream<Void>, within timeout: Duration) async -> Void? {
    await withTaskGroup(of: Void?.self) { group in
        group.addTask {
            for await value in stream { return value }
            return nil
        }
        group.addTask {
            try? await Task.sleep(for: timeout)
            return nil
        }
        let result = await group.next() ?? nil
        group.cancelAll()
        return result
    }
}
