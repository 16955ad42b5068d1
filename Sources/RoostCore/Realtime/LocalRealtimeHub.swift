import NIOConcurrencyHelpers

/// The realtime bus of one process: subscribers indexed by device, tenant and "everything",
/// so that publishing an event costs the subscribers that take it, not all of them (10,000
/// idle dashboards cost an event nothing).
public final class LocalRealtimeHub: RealtimeBus {
    private struct Entry {
        let subscriber: any RealtimeSubscriber
        var filter: RealtimeFilter
    }

    private struct State {
        var entries: [ObjectIdentifier: Entry] = [:]
        var byDevice: [Int64: Set<ObjectIdentifier>] = [:]
        var byTenant: [String: Set<ObjectIdentifier>] = [:]
        var everything: Set<ObjectIdentifier> = []
        /// The union of every filter: grown as subscribers attach, computed again on the next
        /// read after one narrowed or left (`stale`), so neither costs more than its own filter.
        var interest = RealtimeFilter()
        var stale = false
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// Subscribers attached now.
    public var subscriberCount: Int { state.withLockedValue { $0.entries.count } }

    public func attach(_ subscriber: any RealtimeSubscriber, filter: RealtimeFilter) {
        let id = ObjectIdentifier(subscriber)
        state.withLockedValue { s in
            if s.entries[id] != nil { s.stale = true }
            Self.unindex(id, &s)
            s.entries[id] = Entry(subscriber: subscriber, filter: filter)
            s.interest.formUnion(filter)
            for device in filter.devices.keys { s.byDevice[device, default: []].insert(id) }
            for tenant in filter.tenants.keys { s.byTenant[tenant, default: []].insert(id) }
            if !filter.everything.isEmpty { s.everything.insert(id) }
        }
    }

    public var interest: RealtimeFilter {
        state.withLockedValue { s in
            if s.stale {
                s.interest = RealtimeFilter()
                for entry in s.entries.values { s.interest.formUnion(entry.filter) }
                s.stale = false
            }
            return s.interest
        }
    }

    public func detach(_ subscriber: any RealtimeSubscriber) {
        let id = ObjectIdentifier(subscriber)
        state.withLockedValue { s in
            Self.unindex(id, &s)
            if s.entries.removeValue(forKey: id) != nil { s.stale = true }
        }
    }

    private static func unindex(_ id: ObjectIdentifier, _ s: inout State) {
        guard let old = s.entries[id]?.filter else { return }
        for device in old.devices.keys {
            s.byDevice[device]?.remove(id)
            if s.byDevice[device]?.isEmpty == true { s.byDevice[device] = nil }
        }
        for tenant in old.tenants.keys {
            s.byTenant[tenant]?.remove(id)
            if s.byTenant[tenant]?.isEmpty == true { s.byTenant[tenant] = nil }
        }
        s.everything.remove(id)
    }

    public func publish(_ events: [RealtimeEvent]) {
        guard !events.isEmpty else { return }
        // Who gets what is decided under the lock; delivery (a queue append each) after it.
        let deliveries = state.withLockedValue { s -> [(any RealtimeSubscriber, RealtimeEvent)] in
            guard !s.entries.isEmpty else { return [] }
            var out: [(any RealtimeSubscriber, RealtimeEvent)] = []
            var candidates: Set<ObjectIdentifier> = []
            for event in events {
                candidates.removeAll(keepingCapacity: true)
                if let ids = s.byDevice[event.device] { candidates.formUnion(ids) }
                if let ids = s.byTenant[event.tenant] { candidates.formUnion(ids) }
                candidates.formUnion(s.everything)
                for id in candidates {
                    guard let entry = s.entries[id], entry.filter.takes(event) else { continue }
                    out.append((entry.subscriber, event))
                }
            }
            return out
        }
        for (subscriber, event) in deliveries { subscriber.receive(event) }
    }
}
