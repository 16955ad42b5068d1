import RoostCore

/// The topics the nodes of one fleet talk on through the external broker, and how realtime
/// events and a node's interest travel on them (text lines; rendered JSON has no raw newline
/// or tab, and tenant names have neither).
struct FleetTopics: Sendable {
    /// `roost/fleet/GROUP`.
    let root: String
    /// This node's id (its client id).
    let node: String

    init(group: String, node: String) {
        root = "roost/fleet/\(group)"
        self.node = node
    }

    /// Where every node publishes the events it produced (QoS 0; each node subscribes).
    var events: String { root + "/events" }
    /// Where a node keeps what its sockets watch (retained; cleared by its will).
    var interest: String { root + "/interest/" + node }
    /// Every node's interest.
    var interestFilter: String { root + "/interest/+" }
}

enum FleetRealtimeCodec {
    /// `node` on the first line, then one line per event: kind, tenant, device id, JSON.
    static func encode(_ events: [RealtimeEvent], from node: String) -> [UInt8] {
        var text = node
        text.reserveCapacity(events.reduce(node.utf8.count) { $0 + $1.json.utf8.count + 32 })
        for event in events {
            text += "\n" + event.kind.rawValue + "\t" + event.tenant + "\t" + String(event.device) + "\t" + event.json
        }
        return Array(text.utf8)
    }

    /// The sending node and its events; nil for a payload that is not one.
    static func decode(_ bytes: some Collection<UInt8>) -> (node: String, events: [RealtimeEvent])? {
        let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        guard let node = lines.first, !node.isEmpty else { return nil }
        var events: [RealtimeEvent] = []
        events.reserveCapacity(lines.count - 1)
        for line in lines.dropFirst() {
            let fields = line.split(separator: "\t", maxSplits: 3, omittingEmptySubsequences: false)
            guard fields.count == 4, let kind = RealtimeKind(rawValue: String(fields[0])), let device = Int64(fields[2])
            else { return nil }
            events.append(RealtimeEvent(kind: kind, tenant: String(fields[1]), device: device, json: String(fields[3])))
        }
        return (String(node), events)
    }

    /// A filter as lines: `*\tkinds`, `t\ttenant\tkinds`, `d\tid\tkinds` (kinds comma-separated).
    static func encode(_ filter: RealtimeFilter) -> [UInt8] {
        func kinds(_ set: Set<RealtimeKind>) -> String { set.map(\.rawValue).sorted().joined(separator: ",") }
        var lines: [String] = []
        if !filter.everything.isEmpty { lines.append("*\t" + kinds(filter.everything)) }
        for (tenant, set) in filter.tenants where !set.isEmpty { lines.append("t\t\(tenant)\t" + kinds(set)) }
        for (device, set) in filter.devices where !set.isEmpty { lines.append("d\t\(device)\t" + kinds(set)) }
        return Array(lines.joined(separator: "\n").utf8)
    }

    /// The filter of ``encode(_:)-filter``; unknown lines are skipped.
    static func decodeFilter(_ bytes: some Collection<UInt8>) -> RealtimeFilter {
        var filter = RealtimeFilter()
        for line in String(decoding: bytes, as: UTF8.self).split(separator: "\n") {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            let kinds = Set((fields.last ?? "").split(separator: ",").compactMap { RealtimeKind(rawValue: String($0)) })
            switch (fields.first, fields.count) {
            case ("*", 2): filter.everything.formUnion(kinds)
            case ("t", 3): filter.tenants[String(fields[1]), default: []].formUnion(kinds)
            case ("d", 3): if let id = Int64(fields[1]) { filter.devices[id, default: []].formUnion(kinds) }
            default: continue
            }
        }
        return filter
    }
}
