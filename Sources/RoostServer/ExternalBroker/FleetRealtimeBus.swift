import Logging
import MQTTCore
import NIOConcurrencyHelpers
import RoostCore

/// The realtime bus of a node of a fleet: this node's sockets (a ``LocalRealtimeHub``), plus
/// the events of the other nodes, through the external broker. Each node keeps what its
/// sockets watch as a retained message (cleared by the link's will when the node dies), so a
/// node renders and forwards only the events some socket somewhere takes: with no socket open
/// anywhere, ingest renders nothing, as on one node.
final class FleetRealtimeBus: RealtimeBus {
    let local: LocalRealtimeHub
    let topics: FleetTopics
    let link: ExternalBrokerLink
    let logger: Logger
    private struct State {
        /// Each other node's interest, and their union.
        var remote: [String: RealtimeFilter] = [:]
        var remoteUnion = RealtimeFilter()
        /// The interest this node published last.
        var published: RealtimeFilter?
    }
    private let state = NIOLockedValueBox(State())

    init(local: LocalRealtimeHub, topics: FleetTopics, link: ExternalBrokerLink, logger: Logger) {
        self.local = local
        self.topics = topics
        self.link = link
        self.logger = logger
        link.addPlainSubscription(topics.events) { [weak self] publish in self?.received(publish.payload.readableBytesView) }
        link.addPlainSubscription(topics.interestFilter) { [weak self] publish in
            self?.interestArrived(topic: publish.topic, publish.payload.readableBytesView)
        }
        link.addConnectAction { [weak self] in self?.publishInterest(force: true) }
    }

    func publish(_ events: [RealtimeEvent]) {
        guard !events.isEmpty else { return }
        local.publish(events)
        let remote = state.withLockedValue { $0.remoteUnion }
        guard !remote.isEmpty else { return }
        let wanted = events.filter(remote.takes)
        guard !wanted.isEmpty else { return }
        // Chunks of at most ~200 events: one broker message each.
        var start = wanted.startIndex
        while start < wanted.endIndex {
            let end = min(start + 200, wanted.endIndex)
            link.publish(topic: topics.events, payload: FleetRealtimeCodec.encode(Array(wanted[start..<end]), from: topics.node), qos: .atMostOnce)
            start = end
        }
    }

    func attach(_ subscriber: any RealtimeSubscriber, filter: RealtimeFilter) {
        local.attach(subscriber, filter: filter)
        publishInterest()
    }

    func detach(_ subscriber: any RealtimeSubscriber) {
        local.detach(subscriber)
        publishInterest()
    }

    var interest: RealtimeFilter {
        var union = local.interest
        union.formUnion(state.withLockedValue { $0.remoteUnion })
        return union
    }

    /// Events another node produced: to this node's sockets.
    private func received(_ payload: some Collection<UInt8>) {
        guard let (node, events) = FleetRealtimeCodec.decode(payload) else {
            logger.debug("ignored a malformed fleet event message")
            return
        }
        guard node != topics.node else { return }
        local.publish(events)
    }

    private func interestArrived(topic: String, _ payload: some Collection<UInt8>) {
        let node = String(topic.dropFirst(topics.interestFilter.count - 1))
        guard node != topics.node, !node.isEmpty else { return }
        let filter = FleetRealtimeCodec.decodeFilter(payload)
        state.withLockedValue { s in
            s.remote[node] = filter.isEmpty ? nil : filter
            s.remoteUnion = s.remote.values.reduce(into: RealtimeFilter()) { $0.formUnion($1) }
        }
    }

    /// Publishes this node's interest (retained) when it changed since the last time.
    private func publishInterest(force: Bool = false) {
        let now = local.interest
        let changed = state.withLockedValue { s -> Bool in
            guard force || s.published != now else { return false }
            s.published = now
            return true
        }
        guard changed else { return }
        if !link.publish(topic: topics.interest, payload: FleetRealtimeCodec.encode(now), qos: .atLeastOnce, retain: true) {
            // Not connected: published again at the next connect.
            state.withLockedValue { $0.published = nil }
        }
    }
}
