public import MQTTHooks
public import MQTTCore
public import NIOCore
import RoostStore

/// The broker's side of shadows: a report on a `shadow/reported` topic is merged (its PUBACK
/// waits for the write), and a device that subscribes to its delta topic, or reconnects to a
/// session that has that subscription, gets the current delta.
public struct ShadowTracker: MQTTObserver {
    let service: ShadowService
    let layout: TopicLayout
    /// The subscription filters of a client's session.
    let filters: @Sendable (String) -> [String]

    public init(service: ShadowService, layout: TopicLayout, filters: @escaping @Sendable (String) -> [String]) {
        self.service = service
        self.layout = layout
        self.filters = filters
    }

    public func clientConnected(_ client: ClientInfo) {
        for filter in filters(client.clientID) { listening(filter) }
    }

    public func subscribed(_ client: ClientInfo, to subscription: Subscription) {
        listening(subscription.filter)
    }

    /// Only a device's own delta topic (no wildcards: a monitor on `#` gets no flood of deltas).
    private func listening(_ filter: String) {
        let plain = SharedFilter(filter)?.filter ?? filter
        guard !plain.contains("+"), !plain.contains("#"), let match = layout.downlink(plain),
            match.template.kind == .shadowDelta
        else { return }
        let service = service
        let key = DeviceKey(tenant: match.tenant, uid: match.device)
        Task { await service.sendDelta(to: key) }
    }

    public func messagePublished(_ message: Message, from client: ClientInfo?, on eventLoop: any EventLoop)
        -> EventLoopFuture<Void>?
    {
        guard let match = layout.uplink(message.topic), match.kind == .shadowReported else { return nil }
        let key = DeviceKey(tenant: match.tenant, uid: match.device)
        let promise = eventLoop.makePromise(of: Void.self)
        let service = service
        let payload = message.payload
        Task {
            await service.report(payload.readableBytesView, from: key)
            promise.succeed()
        }
        return message.qos == .atMostOnce ? nil : promise.futureResult
    }
}
