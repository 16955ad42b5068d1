import MQTTCore

/// Topic access rules in Mosquitto's `acl_file` syntax, read exactly as Mosquitto reads them:
///
/// - `topic [read|write|readwrite|deny] FILTER` before any `user` line applies to anonymous
///   clients; after `user NAME`, to that user.
/// - `pattern [read|write|readwrite|deny] FILTER` applies to every client, with `%c` replaced by
///   the client id and `%u` by the user name.
/// - Without an access word the access is `readwrite`. Deny rules are checked first.
public struct ACLFile: MQTTAuthorizer {
    /// One rule line.
    public struct Rule: Sendable, Hashable {
        public enum Access: Sendable, Hashable { case read, write, readwrite, deny }
        public var access: Access
        public var filter: String
    }

    var anonymousRules: [Rule] = []
    var userRules: [String: [Rule]] = [:]
    var patterns: [Rule] = []

    /// Errors found while reading the file, with line numbers.
    public struct ParseError: Error, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "acl file line \(line): \(message)" }
    }

    /// Parses the contents of an ACL file.
    public init(contents: String) throws {
        var currentUser: String?
        for (index, rawLine) in contents.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = String(rawLine).trimmingCharacters(in: " \t\r")
            if line.isEmpty || line.hasPrefix("#") { continue }
            let words = line.split(separator: " ", maxSplits: 1).map(String.init)
            let keyword = words[0]
            let rest = words.count > 1 ? words[1].trimmingCharacters(in: " \t") : ""
            switch keyword {
            case "user":
                guard !rest.isEmpty else { throw ParseError(line: index + 1, message: "user without a name") }
                currentUser = rest
            case "topic", "pattern":
                let rule = try Self.parseRule(rest, line: index + 1)
                if keyword == "pattern" {
                    patterns.append(rule)
                } else if let user = currentUser {
                    userRules[user, default: []].append(rule)
                } else {
                    anonymousRules.append(rule)
                }
            default:
                throw ParseError(line: index + 1, message: "unknown keyword '\(keyword)'")
            }
        }
    }

    private static func parseRule(_ text: String, line: Int) throws -> Rule {
        let parts = text.split(separator: " ", maxSplits: 1).map(String.init)
        guard let first = parts.first else { throw ParseError(line: line, message: "missing topic") }
        let accessWords: [String: Rule.Access] = [
            "read": .read, "write": .write, "readwrite": .readwrite, "deny": .deny,
        ]
        if let access = accessWords[first] {
            guard parts.count == 2 else { throw ParseError(line: line, message: "missing topic") }
            return Rule(access: access, filter: parts[1].trimmingCharacters(in: " \t"))
        }
        return Rule(access: .readwrite, filter: text)
    }

    public func authorize(_ client: ClientInfo, _ action: AuthorizationAction, topic: String) -> AuthorizationResult {
        let own = client.username.map { userRules[$0] ?? [] } ?? anonymousRules
        let substituted = patterns.map { rule in
            var r = rule
            r.filter = r.filter.replacingOccurrences("%c", with: client.clientID)
                .replacingOccurrences("%u", with: client.username ?? "")
            return r
        }
        let rules = own + substituted
        let check: (Rule) -> Bool = { rule in
            action == .publish
                ? Topic.matches(filter: rule.filter, name: topic)
                : ACLFile.covers(rule.filter, topic)
        }
        for rule in rules where rule.access == .deny && check(rule) { return .deny }
        for rule in rules where rule.access != .deny && check(rule) {
            switch (rule.access, action) {
            case (.readwrite, _), (.read, .subscribe), (.write, .publish): return .allow
            default: continue
            }
        }
        return .deny
    }

    /// `true` when every topic the subscription `filter` can match is matched by the ACL `pattern`
    /// (wildcards in the filter must be covered by wildcards in the pattern).
    static func covers(_ pattern: String, _ filter: String) -> Bool {
        let plain = SharedFilter(filter)?.filter ?? filter
        let p = Topic.levels(pattern)
        let f = Topic.levels(plain)
        var i = 0
        while i < p.count {
            if p[i] == "#" { return true }
            guard i < f.count else { return false }
            if f[i] == "#" { return false }
            if p[i] != "+" && p[i] != f[i] { return false }
            i += 1
        }
        return i == f.count
    }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var s = Substring(self)
        while let c = s.first, set.contains(c) { s.removeFirst() }
        while let c = s.last, set.contains(c) { s.removeLast() }
        return String(s)
    }

    func replacingOccurrences(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty, self.contains(target) else { return self }
        return self.split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
