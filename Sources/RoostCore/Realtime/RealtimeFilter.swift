/// Which events a subscriber takes: per device, per tenant, or everything (a platform admin's
/// whole installation), each with the kinds wanted there.
public struct RealtimeFilter: Sendable, Hashable {
    /// Kinds per device id.
    public var devices: [Int64: Set<RealtimeKind>] = [:]
    /// Kinds per tenant name.
    public var tenants: [String: Set<RealtimeKind>] = [:]
    /// Kinds of every device of every tenant.
    public var everything: Set<RealtimeKind> = []

    public init() {}

    /// Whether `event` is taken.
    public func takes(_ event: RealtimeEvent) -> Bool {
        everything.contains(event.kind) || devices[event.device]?.contains(event.kind) == true
            || tenants[event.tenant]?.contains(event.kind) == true
    }

    /// `true` when nothing is taken.
    public var isEmpty: Bool {
        everything.isEmpty && devices.values.allSatisfy(\.isEmpty) && tenants.values.allSatisfy(\.isEmpty)
    }

    /// Adds `kinds` for these devices.
    public mutating func add(devices ids: some Sequence<Int64>, kinds: Set<RealtimeKind>) {
        for id in ids { devices[id, default: []].formUnion(kinds) }
    }

    /// Removes `kinds` for these devices.
    public mutating func remove(devices ids: some Sequence<Int64>, kinds: Set<RealtimeKind>) {
        for id in ids {
            devices[id]?.subtract(kinds)
            if devices[id]?.isEmpty == true { devices[id] = nil }
        }
    }
}
