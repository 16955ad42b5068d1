public import MQTTHooks
public import MQTTCore
public import NIOCore
import RoostStore

/// The broker's side of commands: a device that connects or subscribes to its downlink gets
/// its queued commands, a PUBACK of a command makes it `delivered`, and a message on an ack
/// topic (or an MQTT 5 response carrying the command id as correlation data) finishes it.
public struct CommandTracker: MQTTObserver {
    let service: CommandService
    let layout: TopicLayout
    /// The subscription filters of a client's session (a persistent session's subscriptions
    /// outlive its connections, so a device that reconnects need not subscribe again).
    let filters: @Sendable (String) -> [String]

    public init(service: CommandService, layout: TopicLayout, filters: @escaping @Sendable (String) -> [String]) {
        self.service = service
        self.layout = layout
        self.filters = filters
    }

    public func clientConnected(_ client: ClientInfo) {
        if let uid = client.attributes["device"], let tenant = client.attributes["tenant"] {
            service.dispatch(DeviceKey(tenant: tenant, uid: uid))
            return
        }
        for filter in filters(client.clientID) { listening(filter) }
    }

    /// A clean session ended: commands published to it and not acknowledged (PUBACK) were lost
    /// with it, so they go back to the queue and are sent at the device's next connect.
    public func sessionEnded(_ client: ClientInfo, filters: [String]) {
        var devices: Set<DeviceKey> = []
        if let uid = client.attributes["device"], let tenant = client.attributes["tenant"] {
            devices.insert(DeviceKey(tenant: tenant, uid: uid))
        }
        for filter in filters {
            let plain = SharedFilter(filter)?.filter ?? filter
            if let match = layout.downlink(plain), match.template.kind == .commands {
                devices.insert(DeviceKey(tenant: match.tenant, uid: match.device))
            }
        }
        guard !devices.isEmpty else { return }
        let service = self.service
        Task { for device in devices { await service.requeueUndelivered(device) } }
    }

    public func subscribed(_ client: ClientInfo, to subscription: Subscription) {
        listening(subscription.filter)
    }

    /// A filter that may cover a downlink: one device's (its queue), or with wildcards any
    /// device's (every queue; each command is sent only where a client listens).
    private func listening(_ filter: String) {
        let plain = SharedFilter(filter)?.filter ?? filter
        guard Self.counts(plain) else { return }
        if plain.contains("+") || plain.contains("#") {
            service.dispatch(nil)
        } else if let match = layout.downlink(plain), match.template.kind == .commands {
            service.dispatch(DeviceKey(tenant: match.tenant, uid: match.device))
        }
    }

    /// Whether a subscription makes its client a listener for commands: not a monitor whose
    /// filter starts with a wildcard (`#`, `+/#`), which would otherwise take every queued
    /// command of every offline device.
    public static func counts(_ filter: String) -> Bool {
        !(filter.hasPrefix("#") || filter.hasPrefix("+"))
    }

    public func messagePublished(_ message: Message, from client: ClientInfo?, on eventLoop: any EventLoop)
        -> EventLoopFuture<Void>?
    {
        guard let match = layout.uplink(message.topic), match.kind == .commandAck else { return nil }
        let device = DeviceKey(tenant: match.tenant, uid: match.device)
        let correlation = message.properties.isEmpty ? nil : message.properties.correlationData.map {
            String(decoding: $0.readableBytesView, as: UTF8.self)
        }
        guard let ack = CommandAck.parse(message.payload.readableBytesView, correlation: correlation) else {
            service.counters.ignoredAcks.add(1, ordering: .relaxed)
            return nil
        }
        // The device's PUBACK waits until the answer is recorded; a failure to record is
        // logged by the service, never an error for the device.
        let promise = eventLoop.makePromise(of: Void.self)
        let service = service
        Task {
            await service.acknowledged(ack, from: device)
            promise.succeed()
        }
        return message.qos == .atMostOnce ? nil : promise.futureResult
    }

    public func messageDelivered(_ message: Message, to client: ClientInfo) {
        guard let receipt = message.attachment as? CommandReceipt else { return }
        let service = service
        Task { await service.delivered(receipt.id) }
    }
}
