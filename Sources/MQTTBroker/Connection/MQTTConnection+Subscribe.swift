import Logging
import MQTTCore
import NIOCore

extension MQTTConnection {
    /// Tells observers that a message carrying an attachment (one the server published to be
    /// tracked, such as a command) reached this client: its PUBACK or PUBCOMP arrived. Other
    /// messages cost one check.
    func reportDelivery(_ message: Message) {
        guard message.attachment != nil, let client else { return }
        broker.delivered(message, to: client)
    }

    func handleSubscribe(_ subscribe: SubscribePacket) {
        guard let client, let session else { return }
        let identifier = subscribe.properties.subscriptionIdentifiers.first
        var codes: [ReasonCode] = []
        var retainedToSend: [(Message, Subscription)] = []
        for sub in subscribe.subscriptions {
            guard Topic.isValidFilter(sub.filter) else {
                if version != .v5 {
                    // 3.1.1 has no reason code for a bad filter: close [MQTT-4.8.0-1].
                    protocolViolation(MQTTCodecError(.topicFilterInvalid, "invalid topic filter \(sub.filter)"))
                    return
                }
                codes.append(.topicFilterInvalid)
                continue
            }
            let shared = SharedFilter(sub.filter)
            if shared != nil && sub.noLocal {
                // No Local on a shared subscription is a protocol error [MQTT-3.8.3-4].
                protocolViolation(MQTTCodecError(.protocolError, "no local on a shared subscription"))
                return
            }
            guard broker.hooks.authorize(client, .subscribe, topic: sub.filter) else {
                broker.stats.denied()
                logger.info("subscribe denied", metadata: ["filter": "\(sub.filter)"])
                codes.append(.notAuthorized)
                continue
            }
            let existed = session.addSubscription(sub, identifier: identifier)
            broker.tree.subscribe(session, sub, identifier: identifier)
            codes.append(ReasonCode(sub.qos.rawValue))
            broker.subscribed(client, sub)
            // Retained messages: not for shared subscriptions [MQTT-3.8.4-4]; retain handling 5.0.
            if shared == nil {
                let send: Bool
                switch sub.retainHandling {
                case .sendAlways: send = true
                case .sendIfNew: send = !existed
                case .never: send = false
                }
                if send {
                    for message in broker.tree.retained(matching: sub.filter) {
                        retainedToSend.append((message, sub))
                    }
                }
            }
        }
        send(.suback(SubAckPacket(packetID: subscribe.packetID, reasonCodes: codes)))
        broker.persistSession(session)
        for (message, sub) in retainedToSend {
            // Retained messages keep the retain flag when sent because of a subscription [MQTT-3.3.1-8].
            session.deliver(
                message, qos: min(message.qos, sub.qos), retain: true,
                subscriptionIDs: identifier.map { [$0] } ?? [])
        }
    }

    func handleUnsubscribe(_ unsubscribe: UnsubscribePacket) {
        guard let client, let session else { return }
        var codes: [ReasonCode] = []
        for filter in unsubscribe.filters {
            guard Topic.isValidFilter(filter) else {
                if version != .v5 {
                    protocolViolation(MQTTCodecError(.topicFilterInvalid, "invalid topic filter \(filter)"))
                    return
                }
                codes.append(.topicFilterInvalid)
                continue
            }
            let existed = session.removeSubscription(filter)
            broker.tree.unsubscribe(session.clientID, filter: filter)
            codes.append(existed ? .success : .noSubscriptionExisted)
            if existed { broker.unsubscribed(client, filter) }
        }
        send(.unsuback(SubAckPacket(packetID: unsubscribe.packetID, reasonCodes: codes)))
        broker.persistSession(session)
    }
}
