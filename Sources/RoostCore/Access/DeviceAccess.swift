public import MQTTHooks
import MQTTCore
public import RoostStore

/// Broker authentication for device logins: a user name that belongs to a device must come
/// with that device's secret, and the client then *is* that device (its tenant and uid ride
/// along as client attributes for ``DeviceAuthorizer``).
public struct DeviceAuthenticator: MQTTAuthenticator {
    let credentials: any CredentialStore
    /// Let clients whose user name is not a device's in (Mosquitto's local-only mode, where any
    /// name goes); otherwise leave them to the next authenticator.
    let allowOtherUsers: Bool

    public init(credentials: any CredentialStore, allowOtherUsers: Bool) {
        self.credentials = credentials
        self.allowOtherUsers = allowOtherUsers
    }

    public func authenticate(_ request: AuthenticationRequest) async -> AuthenticationResult {
        guard let username = request.username else { return .ignore }
        do {
            guard let (identity, secret) = try await credentials.mqttCredentials(username: username) else {
                return allowOtherUsers ? .allow() : .ignore
            }
            let password = String(decoding: request.password ?? [], as: UTF8.self)
            guard secret.verify(password) else { return .deny(.badUserNameOrPassword) }
            return .allow(attributes: ["tenant": identity.key.tenant, "device": identity.key.uid])
        } catch {
            // The store is down: refuse rather than let a device in unchecked.
            return .deny(.serverUnavailable)
        }
    }
}

/// Broker authorization for device logins: a device publishes only to its own uplink topics
/// and subscribes only to its own downlink topics, as the topic templates define them; a tenant
/// never reaches another's. Other clients are left to the ACL file, or let through when there is
/// none (`openForOthers`).
public struct DeviceAuthorizer: MQTTAuthorizer {
    let layout: TopicLayout
    let openForOthers: Bool

    public init(layout: TopicLayout, openForOthers: Bool) {
        self.layout = layout
        self.openForOthers = openForOthers
    }

    public func authorize(_ client: ClientInfo, _ action: AuthorizationAction, topic: String) -> AuthorizationResult {
        guard let device = client.attributes["device"], let tenant = client.attributes["tenant"] else {
            return openForOthers ? .allow : .ignore
        }
        switch action {
        case .publish:
            guard let match = layout.uplink(topic), match.device == device, match.tenant == tenant else { return .deny }
            return .allow
        case .subscribe:
            // The filter must be exactly one of the device's downlink topics.
            guard let match = layout.downlink(topic), match.device == device, match.tenant == tenant else {
                return .deny
            }
            return .allow
        }
    }
}
