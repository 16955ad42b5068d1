import MQTTBroker
import MQTTCore
import NIOCore
import NIOConcurrencyHelpers
import RoostCore
import RoostStore

/// The link to an external broker and what reaches it once the rest is built.
struct ExternalWiring {
    let link: ExternalBrokerLink
    /// The topics the fleet's nodes share realtime events and interests on.
    let topics: FleetTopics
    /// The command service, set once it exists (the link's reconnects and lost publishes reach it).
    let commands: LateBox<CommandService>

    var settings: ExternalBrokerSettings { link.settings }
}

/// A value set once, after the parts that hold it were made.
final class LateBox<Value: Sendable>: Sendable {
    private let box = NIOLockedValueBox<Value?>(nil)

    var value: Value? { box.withLockedValue { $0 } }

    func set(_ value: Value) { box.withLockedValue { $0 = value } }
}

extension RoostAssembly {
    /// The link when the configuration names an external broker (`--broker`), else nil. It
    /// subscribes to every uplink template of the layout.
    func externalLink(layout: TopicLayout, late: LateBroker) -> ExternalWiring? {
        guard let settings = configuration.externalBroker else { return nil }
        let filters = layout.templates.filter { $0.direction == .uplink }.map(\.filter)
        let commands = LateBox<CommandService>()
        let topics = FleetTopics(group: settings.shareGroup, node: settings.clientID)
        // A node that dies leaves no interest behind: its will clears the retained one.
        let will = Will(topic: topics.interest, payload: ByteBuffer(), qos: .atLeastOnce, retain: true)
        let link = ExternalBrokerLink(
            settings: settings, filters: filters, broker: late, logger: child("roost.external-broker"), will: will,
            onConnect: {
                // Devices may have come online while this node was away: send what waits for them.
                commands.value?.dispatch(nil)
            })
        logger.notice(
            "external broker mode: \(settings.urls.map(\.description).joined(separator: ", ")) as \(settings.clientID), shared group \(settings.shareGroup); own MQTT listener \(settings.keepListener ? "open" : "closed")"
        )
        return ExternalWiring(link: link, topics: topics, commands: commands)
    }

    /// How commands reach devices: through the external broker's link when there is one.
    func commandTransport(link: ExternalWiring?, layout: TopicLayout, late: LateBroker) -> any CommandTransport {
        guard let link else { return BrokerCommandTransport(late: late) }
        let commands = link.commands
        return ExternalCommandTransport(
            link: link.link, layout: layout, registry: stores.api,
            lost: { device in
                Task { await commands.value?.requeueUndelivered(device) }
            })
    }
}
