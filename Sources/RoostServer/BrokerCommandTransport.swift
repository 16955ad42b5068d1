import MQTTBroker
import MQTTCore
import NIOCore
import RoostCore
import RoostStore

/// Commands through the broker in this process: published as the server (past the ACLs, seen
/// by interceptors), with the receipt as the message's attachment so that the PUBACK reaches
/// the ``CommandTracker``.
struct BrokerCommandTransport: CommandTransport {
    let late: LateBroker

    func isListening(_ topic: String, for command: CommandRecord) async -> Bool {
        late.broker?.hasConnectedSubscriber(for: topic, counting: CommandTracker.counts) ?? false
    }

    func publish(_ command: OutgoingCommand) -> Bool {
        var properties = Properties()
        properties.responseTopic = command.responseTopic
        properties.correlationData = ByteBuffer(string: command.correlation)
        properties.contentType = "application/json"
        guard let broker = late.broker else { return false }
        let result = broker.publish(
            topic: command.topic, payload: ByteBuffer(bytes: command.payload), qos: .atLeastOnce,
            properties: properties, attachment: command.receipt)
        if case .rejected = result { return false }
        return true
    }
}

/// The broker, set once it is built (its hooks are made before it, and some of them reach it).
typealias LateBroker = LateBox<Broker>

extension LateBox where Value == Broker {
    var broker: Broker? { value }
}

/// Shadow deltas through the broker in this process, published as the server.
struct BrokerShadowTransport: ShadowTransport {
    let late: LateBroker

    func publishDelta(topic: String, payload: [UInt8]) -> Bool {
        guard let broker = late.broker else { return false }
        var properties = Properties()
        properties.contentType = "application/json"
        let result = broker.publish(
            topic: topic, payload: ByteBuffer(bytes: payload), qos: .atLeastOnce, properties: properties)
        if case .rejected = result { return false }
        return true
    }
}
