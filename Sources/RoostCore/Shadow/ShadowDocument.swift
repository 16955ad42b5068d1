public import RoostJSON

/// The arithmetic of a device shadow: merging a patch into a document (a `null` member deletes
/// the key, objects merge key by key, anything else replaces), stamping the time of each key
/// that changed, and the delta between desired and reported.
public enum ShadowDocument {
    /// `patch` merged into `document`, with `metadata` (the same shape, `{"timestamp":ms}` at
    /// each leaf) stamped `at` for each key the patch set. Returns whether anything changed.
    public static func merge(
        _ patch: [JSONMember], into document: inout [JSONMember], metadata: inout [JSONMember], at: Int64
    ) -> Bool {
        var changed = false
        for member in patch {
            let index = document.firstIndex { $0.key == member.key }
            let metaIndex = metadata.firstIndex { $0.key == member.key }
            if case .null = member.value {
                if let index {
                    document.remove(at: index)
                    changed = true
                }
                if let metaIndex { metadata.remove(at: metaIndex) }
                continue
            }
            if case .object(let inner) = member.value, let index, case .object(var current) = document[index].value {
                var meta: [JSONMember] = []
                if let metaIndex, case .object(let m) = metadata[metaIndex].value { meta = m }
                if merge(inner, into: &current, metadata: &meta, at: at) { changed = true }
                document[index].value = .object(current)
                set(&metadata, member.key, .object(meta), at: metaIndex)
                continue
            }
            let value = pruned(member.value)
            if let index {
                if document[index].value != value {
                    document[index].value = value
                    changed = true
                    set(&metadata, member.key, stamp(value, at), at: metaIndex)
                }
            } else {
                document.append(JSONMember(member.key, value))
                changed = true
                set(&metadata, member.key, stamp(value, at), at: metaIndex)
            }
        }
        return changed
    }

    /// The desired members the reported document does not match yet (objects compared key by
    /// key; a desired key absent from reported is in the delta).
    public static func delta(desired: [JSONMember], reported: [JSONMember]) -> [JSONMember] {
        var out: [JSONMember] = []
        for member in desired {
            guard let mine = reported.first(where: { $0.key == member.key })?.value else {
                out.append(member)
                continue
            }
            if case .object(let want) = member.value, case .object(let have) = mine {
                let inner = delta(desired: want, reported: have)
                if !inner.isEmpty { out.append(JSONMember(member.key, .object(inner))) }
            } else if !same(member.value, mine) {
                out.append(member)
            }
        }
        return out
    }

    /// The members of a JSON object's text, `[]` for anything else.
    public static func members(_ text: String) -> [JSONMember] {
        guard case .object(let members) = try? JSONParser.parse(text) else { return [] }
        return members
    }

    /// Numbers compare by value (a device may report `1` for a desired `1.0`).
    static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if case .number(let x) = a, case .number(let y) = b { return x == y }
        return a == b
    }

    /// A value stored as given, minus `null` members inside objects (they delete nothing here).
    static func pruned(_ value: JSONValue) -> JSONValue {
        guard case .object(let members) = value else { return value }
        return .object(members.compactMap { m in
            if case .null = m.value { return nil }
            return JSONMember(m.key, pruned(m.value))
        })
    }

    /// The metadata of a value set at `at`: `{"timestamp":at}`, or per member for an object.
    static func stamp(_ value: JSONValue, _ at: Int64) -> JSONValue {
        if case .object(let members) = value, !members.isEmpty {
            return .object(members.map { JSONMember($0.key, stamp($0.value, at)) })
        }
        return .object([JSONMember("timestamp", .number(Double(at)))])
    }

    private static func set(_ members: inout [JSONMember], _ key: String, _ value: JSONValue, at index: Int?) {
        if let index { members[index].value = value } else { members.append(JSONMember(key, value)) }
    }
}
