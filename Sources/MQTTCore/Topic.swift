/// Topic name and filter rules of MQTT (section 4.7), shared by codec, broker and client.
public enum Topic {
    /// `true` when `name` may be published to: non-empty, no wildcard characters.
    public static func isValidName(_ name: String) -> Bool {
        guard !name.isEmpty, name.utf8.count <= 65_535 else { return false }
        for byte in name.utf8 where byte == UInt8(ascii: "+") || byte == UInt8(ascii: "#") {
            return false
        }
        return true
    }

    /// `true` when `filter` is a valid subscription filter (shared subscriptions included):
    /// `#` only as the last whole level, `+` only as a whole level.
    public static func isValidFilter(_ filter: String) -> Bool {
        if let shared = SharedFilter(filter) { return isValidPlainFilter(shared.filter) }
        if filter.hasPrefix("$share/") { return false }
        return isValidPlainFilter(filter)
    }

    static func isValidPlainFilter(_ filter: String) -> Bool {
        guard !filter.isEmpty, filter.utf8.count <= 65_535 else { return false }
        let bytes = Array(filter.utf8)
        for (index, byte) in bytes.enumerated() {
            let startsLevel = index == 0 || bytes[index - 1] == UInt8(ascii: "/")
            let endsLevel = index == bytes.count - 1 || bytes[index + 1] == UInt8(ascii: "/")
            if byte == UInt8(ascii: "+") {
                if !(startsLevel && endsLevel) { return false }
            } else if byte == UInt8(ascii: "#") {
                if !(startsLevel && index == bytes.count - 1) { return false }
            }
        }
        return true
    }

    /// `true` when the topic `name` matches the plain (not shared) `filter`.
    /// Topics starting with `$` are not matched by a filter starting with a wildcard [MQTT-4.7.2-1].
    public static func matches(filter: String, name: String) -> Bool {
        let f = filter.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        let n = name.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        if name.hasPrefix("$"), let first = f.first, first.elementsEqual("+".utf8) || first.elementsEqual("#".utf8) {
            return false
        }
        var i = 0
        while i < f.count {
            if f[i].elementsEqual("#".utf8) { return true }
            guard i < n.count else { return false }
            if !f[i].elementsEqual("+".utf8) && !f[i].elementsEqual(n[i]) { return false }
            i += 1
        }
        return i == n.count
    }

    /// Splits a topic into its levels (empty levels kept). Walks the UTF-8 bytes: `/` is ASCII,
    /// so no grapheme breaking is needed, which matters on the publish path.
    public static func levels(_ topic: String) -> [Substring] {
        let utf8 = topic.utf8
        // Sized first: growing the array level by level cost three allocations per topic.
        var count = 1
        for byte in utf8 where byte == UInt8(ascii: "/") { count += 1 }
        var result: [Substring] = []
        result.reserveCapacity(count)
        var start = utf8.startIndex
        var index = start
        while index != utf8.endIndex {
            if utf8[index] == UInt8(ascii: "/") {
                result.append(topic[start..<index])
                start = utf8.index(after: index)
            }
            index = utf8.index(after: index)
        }
        result.append(topic[start..<utf8.endIndex])
        return result
    }
}

/// A parsed `$share/{group}/{filter}` subscription.
public struct SharedFilter: Sendable, Hashable {
    /// The share group name.
    public var group: String
    /// The topic filter inside the share.
    public var filter: String

    /// Parses `$share/group/filter`; `nil` when `string` is not a well-formed shared filter.
    public init?(_ string: String) {
        guard string.hasPrefix("$share/") else { return nil }
        let rest = string.dropFirst(7)
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        let group = rest[rest.startIndex..<slash]
        let filter = rest[rest.index(after: slash)...]
        guard !group.isEmpty, !filter.isEmpty,
            !group.contains("+"), !group.contains("#")
        else { return nil }
        self.group = String(group)
        self.filter = String(filter)
    }
}
