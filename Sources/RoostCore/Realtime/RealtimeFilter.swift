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
        takes(event.kind, device: event.device, tenant: event.tenant)
    }

    /// Whether an event of `kind` about `device` of `tenant` is taken (asked before rendering it).
    public func takes(_ kind: RealtimeKind, device: Int64, tenant: String) -> Bool {
        everything.contains(kind) || devices[device]?.contains(kind) == true || tenants[tenant]?.contains(kind) == true
    }

    /// Everything `self` or `other` takes.
    public mutating func formUnion(_ other: RealtimeFilter) {
        everything.formUnion(other.everything)
        for (device, kinds) in other.devices { devices[device, default: []].formUnion(kinds) }
        for (tenant, kinds) in other.tenants { tenants[tenant, default: []].formUnion(kinds) }
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
