import MQTTCore
import NIOConcurrencyHelpers
import NIOCore

/// One session's subscription as stored in the tree.
struct SubscriberEntry: Sendable {
    let session: Session
    let subscription: Subscription
    let identifier: Int?
}

/// Where a message goes: one session, with the options of its matching subscriptions merged.
struct DeliveryTarget {
    let session: Session
    var qos: QoS
    var retainAsPublished: Bool
    var subscriptionIDs: [Int]
}

/// The subscription trie: each node is a topic level holding normal subscribers, shared
/// (`$share/group/...`) groups and the retained message of that exact topic.
/// Guarded by one lock: publishes only read it, subscribes write it rarely.
final class TopicTree: Sendable {
    final class Node {
        var children: [Substring: Node] = [:] {
            didSet {
                hash = children["#"]
                plus = children["+"]
                hasLiterals = children.count > (hash == nil ? 0 : 1) + (plus == nil ? 0 : 1)
            }
        }
        /// The `#` and `+` children and whether there are others, kept by `children`, so a
        /// publish hashes only the levels a literal child could match.
        private(set) var hash: Node?
        private(set) var plus: Node?
        private(set) var hasLiterals = false
        var subscribers: [String: SubscriberEntry] = [:]
        var shared: [String: SharedGroup] = [:]
        var retained: Message?

        var isEmpty: Bool { children.isEmpty && subscribers.isEmpty && shared.isEmpty && retained == nil }
    }

    /// Members of one share group; each message goes to one member, round robin, preferring
    /// connected ones.
    struct SharedGroup {
        var members: [String: SubscriberEntry] = [:]
        var order: [String] = []
        var next = 0

        mutating func pick() -> SubscriberEntry? {
            guard !order.isEmpty else { return nil }
            for offset in 0..<order.count {
                let id = order[(next + offset) % order.count]
                if let entry = members[id], entry.session.isConnected {
                    next = (next + offset + 1) % order.count
                    return entry
                }
            }
            let id = order[next % order.count]
            next = (next + 1) % order.count
            return members[id]
        }
    }

    // The root and everything below it are only touched with `lock` held.
    nonisolated(unsafe) private let root = Node()
    private let lock = NIOLock()
    private let retainedCountBox = NIOLockedValueBox(0)

    /// Number of retained messages held.
    var retainedCount: Int { retainedCountBox.withLockedValue { $0 } }

    /// Adds or replaces `session`'s subscription; returns `true` when it already existed.
    @discardableResult
    func subscribe(_ session: Session, _ subscription: Subscription, identifier: Int?) -> Bool {
        let entry = SubscriberEntry(session: session, subscription: subscription, identifier: identifier)
        let (filter, group) = Self.split(subscription.filter)
        return lock.withLock {
            let node = Self.descend(root, filter, create: true)!
            if let group {
                var g = node.shared[group] ?? SharedGroup()
                let existed = g.members.updateValue(entry, forKey: session.clientID) != nil
                if !existed { g.order.append(session.clientID) }
                node.shared[group] = g
                return existed
            }
            return node.subscribers.updateValue(entry, forKey: session.clientID) != nil
        }
    }

    /// Removes a subscription; returns `true` when it existed.
    @discardableResult
    func unsubscribe(_ clientID: String, filter full: String) -> Bool {
        let (filter, group) = Self.split(full)
        return lock.withLock {
            var path: [(Node, Substring)] = []
            var node = root
            for level in Topic.levels(filter) {
                guard let child = node.children[level] else { return false }
                path.append((node, level))
                node = child
            }
            var removed = false
            if let group {
                if var g = node.shared[group], g.members.removeValue(forKey: clientID) != nil {
                    g.order.removeAll { $0 == clientID }
                    node.shared[group] = g.order.isEmpty ? nil : g
                    removed = true
                }
            } else {
                removed = node.subscribers.removeValue(forKey: clientID) != nil
            }
            Self.prune(path: path, leaf: node)
            return removed
        }
    }

    /// The sessions a message on `topic` goes to, one entry per session.
    func match(_ topic: String, publisherID: String?) -> [DeliveryTarget] {
        let levels = Topic.levels(topic)
        let isSys = topic.hasPrefix("$")
        var targets: [DeliveryTarget] = []
        lock.withLock {
            Self.collect(root, levels[...], isSys: isSys, publisherID: publisherID, into: &targets, isRoot: true)
        }
        if targets.count > 1 { return Self.mergeBySession(targets) }
        return targets
    }

    private static func collect(
        _ node: Node, _ levels: ArraySlice<Substring>, isSys: Bool, publisherID: String?,
        into targets: inout [DeliveryTarget], isRoot: Bool
    ) {
        // `#` matches the parent level too ("a/#" matches "a").
        if let hash = node.hash, !(isRoot && isSys) {
            add(hash, publisherID: publisherID, into: &targets)
        }
        guard let level = levels.first else {
            add(node, publisherID: publisherID, into: &targets)
            return
        }
        let rest = levels.dropFirst()
        if node.hasLiterals, let child = node.children[level] {
            collect(child, rest, isSys: isSys, publisherID: publisherID, into: &targets, isRoot: false)
        }
        if let plus = node.plus, !(isRoot && isSys) {
            collect(plus, rest, isSys: isSys, publisherID: publisherID, into: &targets, isRoot: false)
        }
    }

    private static func add(_ node: Node, publisherID: String?, into targets: inout [DeliveryTarget]) {
        for entry in node.subscribers.values {
            if entry.subscription.noLocal && entry.session.clientID == publisherID { continue }
            targets.append(target(entry))
        }
        if !node.shared.isEmpty {
            for key in node.shared.keys {
                if let entry = node.shared[key]!.pick() { targets.append(target(entry)) }
            }
        }
    }

    private static func target(_ e: SubscriberEntry) -> DeliveryTarget {
        DeliveryTarget(
            session: e.session, qos: e.subscription.qos, retainAsPublished: e.subscription.retainAsPublished,
            subscriptionIDs: e.identifier.map { [$0] } ?? [])
    }

    private static func mergeBySession(_ targets: [DeliveryTarget]) -> [DeliveryTarget] {
        var index: [ObjectIdentifier: Int] = [:]
        var merged: [DeliveryTarget] = []
        merged.reserveCapacity(targets.count)
        for t in targets {
            let key = ObjectIdentifier(t.session)
            if let i = index[key] {
                merged[i].qos = max(merged[i].qos, t.qos)
                merged[i].retainAsPublished = merged[i].retainAsPublished || t.retainAsPublished
                merged[i].subscriptionIDs += t.subscriptionIDs
            } else {
                index[key] = merged.count
                merged.append(t)
            }
        }
        return merged
    }

    // MARK: Retained messages

    /// Stores `message` as the retained one of its topic, or clears it when the payload is empty.
    func setRetained(_ message: Message) {
        lock.withLock {
            if message.payload.readableBytes == 0 {
                var path: [(Node, Substring)] = []
                var node = root
                for level in Topic.levels(message.topic) {
                    guard let child = node.children[level] else { return }
                    path.append((node, level))
                    node = child
                }
                if node.retained != nil {
                    node.retained = nil
                    retainedCountBox.withLockedValue { $0 -= 1 }
                }
                Self.prune(path: path, leaf: node)
            } else {
                let node = Self.descend(root, message.topic, create: true)!
                if node.retained == nil { retainedCountBox.withLockedValue { $0 += 1 } }
                node.retained = message
            }
        }
    }

    /// Retained messages whose topic matches the plain `filter`, expired ones left out.
    func retained(matching filter: String) -> [Message] {
        let levels = Topic.levels(filter)
        var result: [Message] = []
        let now = NIODeadline.now()
        lock.withLock {
            Self.collectRetained(root, levels[...], into: &result, isRoot: true)
        }
        return result.filter { !$0.isExpired(at: now) }
    }

    /// Every retained message (for persistence snapshots).
    func allRetained() -> [Message] {
        var result: [Message] = []
        lock.withLock { Self.walkRetained(root, into: &result) }
        return result
    }

    private static func walkRetained(_ node: Node, into result: inout [Message]) {
        if let r = node.retained { result.append(r) }
        for child in node.children.values { walkRetained(child, into: &result) }
    }

    private static func collectRetained(
        _ node: Node, _ levels: ArraySlice<Substring>, into result: inout [Message], isRoot: Bool
    ) {
        guard let level = levels.first else {
            if let r = node.retained { result.append(r) }
            return
        }
        let rest = levels.dropFirst()
        switch level {
        case "#":
            // Everything at and below this node, `$` topics excluded at the root.
            if let r = node.retained, !isRoot { result.append(r) }
            for (key, child) in node.children where !(isRoot && key.hasPrefix("$")) {
                walkRetained(child, into: &result)
            }
        case "+":
            for (key, child) in node.children where !(isRoot && key.hasPrefix("$")) {
                collectRetained(child, rest, into: &result, isRoot: false)
            }
        default:
            if let child = node.children[level] { collectRetained(child, rest, into: &result, isRoot: false) }
        }
    }

    // MARK: Helpers

    private static func split(_ filter: String) -> (String, String?) {
        if let shared = SharedFilter(filter) { return (shared.filter, shared.group) }
        return (filter, nil)
    }

    private static func descend(_ root: Node, _ topic: String, create: Bool) -> Node? {
        var node = root
        for level in Topic.levels(topic) {
            if let child = node.children[level] {
                node = child
            } else {
                guard create else { return nil }
                let child = Node()
                node.children[Substring(String(level))] = child
                node = child
            }
        }
        return node
    }

    private static func prune(path: [(Node, Substring)], leaf: Node) {
        var child = leaf
        for (parent, level) in path.reversed() {
            guard child.isEmpty else { return }
            parent.children[level] = nil
            child = parent
        }
    }
}
