import Logging
import MQTTCore
import RoostCore
import RoostJSON
import RoostStore

/// The external broker's client events (EMQX publishes `$SYS/brokers/NODE/clients/ID/connected`
/// and `…/disconnected`, JSON with `clientid`, `username`, and `reason` on a disconnect): a
/// device that logged in with its credentials is online at its connect and offline at its
/// disconnect, as on the built-in broker, with no inactivity timeout in between. Consumed
/// through the shared subscription, so each event reaches one node.
struct BrokerClientEvents: Sendable {
    let prefix: String
    let credentials: any CredentialStore
    let ingest: IngestPipeline
    let logger: Logger

    /// Subscribes the link to `prefix/connected` and `prefix/disconnected`, shared in `group`.
    func attach(to link: ExternalBrokerLink, group: String) {
        for event in ["connected", "disconnected"] {
            link.addPlainSubscription("$share/\(group)/\(prefix)/\(event)") { publish in
                let payload = Array(publish.payload.readableBytesView)
                Task { await self.handle(topic: publish.topic, payload: payload) }
            }
        }
    }

    func handle(topic: String, payload: [UInt8]) async {
        let levels = topic.split(separator: "/", omittingEmptySubsequences: false)
        guard levels.count >= 2, let event = levels.last, event == "connected" || event == "disconnected" else { return }
        let json = try? JSONParser.parse(payload)
        guard case .string(let username)? = json?["username"], !username.isEmpty else {
            logger.debug("a client event without a user name", metadata: ["topic": "\(topic)"])
            return
        }
        let identity: DeviceIdentity
        do {
            guard let (found, _) = try await credentials.mqttCredentials(username: username) else { return }
            identity = found
        } catch {
            logger.warning("looking up a client event's device failed: \(error)", metadata: ["topic": "\(topic)"])
            return
        }
        let device = identity.key
        if event == "connected" {
            ingest.brokerEvent(device, online: true, reason: "connect")
        } else {
            var reason = "connection_lost"
            if case .string(let why)? = json?["reason"] {
                switch why {
                // The same client is back on a new connection: its connect says so.
                case "takenover", "takeovered", "discarded": return
                case "normal", "normal_disconnect", "client_disconnect": reason = "disconnect"
                case "keepalive_timeout": reason = "keepalive"
                case "kicked": reason = "revoked"
                default: break
                }
            }
            ingest.brokerEvent(device, online: false, reason: reason)
        }
    }
}
