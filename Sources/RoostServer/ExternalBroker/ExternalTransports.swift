import MQTTCore
import NIOCore
import RoostCore
import RoostStore

/// Commands through an external broker: a command is sent when its device is online (the
/// store says so: any node may have learnt it), published at QoS 1 through the link. The
/// broker's PUBACK says only that the broker has it, so the command stays `sent` until the
/// device answers; one the broker did not take goes back to the queue.
struct ExternalCommandTransport: CommandTransport {
    let link: ExternalBrokerLink
    let layout: TopicLayout
    let registry: any RegistryStore
    /// Told of a command the broker did not take (its device's sent commands are queued again).
    let lost: @Sendable (DeviceKey) -> Void

    func isListening(_ topic: String, for command: CommandRecord) async -> Bool {
        guard link.isConnected else { return false }
        let device = try? await registry.device(id: command.deviceID, tenantID: nil)
        return device?.status == "online"
    }

    func publish(_ command: OutgoingCommand) -> Bool {
        var properties = Properties()
        properties.responseTopic = command.responseTopic
        properties.correlationData = ByteBuffer(string: command.correlation)
        properties.contentType = "application/json"
        guard let match = layout.downlink(command.topic) else { return false }
        let device = DeviceKey(tenant: match.tenant, uid: match.device)
        let lost = self.lost
        return link.publish(topic: command.topic, payload: command.payload, properties: properties) { taken in
            if !taken { lost(device) }
        }
    }
}

/// Shadow deltas through an external broker, at QoS 1.
struct ExternalShadowTransport: ShadowTransport {
    let link: ExternalBrokerLink

    func publishDelta(topic: String, payload: [UInt8]) -> Bool {
        var properties = Properties()
        properties.contentType = "application/json"
        return link.publish(topic: topic, payload: payload, properties: properties)
    }
}

/// Behind an external broker no CONNECT or SUBSCRIBE of a device is seen: a device that comes
/// online in a committed batch (a message, a status payload, a broker event) is sent its queued
/// commands and its shadow delta then.
struct OnlineDispatch: IngestCommitObserver {
    let commands: CommandService
    let shadows: ShadowService

    func committed(_ batch: IngestBatch, result: IngestResult, devices: [DeviceKey: Int64]) {
        let online = Set(batch.statuses.filter(\.online).map(\.device))
        guard !online.isEmpty else { return }
        let keys = devices.filter { online.contains($0.value) }.map(\.key)
        for key in keys { commands.dispatch(key) }
        let shadows = self.shadows
        Task { for key in keys { await shadows.sendDelta(to: key) } }
    }
}
