public import MQTTHooks
import NIOConcurrencyHelpers
import NIOCore
public import RoostStore

/// Device logins and topic access decided for an external broker that asks over HTTP (EMQX's
/// HTTP authentication and authorization, mosquitto-go-auth's HTTP backend): the same rules as
/// Roost's own broker — a device logs in with its own credentials and may publish only to its
/// uplink topics and subscribe only to its downlink topics.
///
/// Credential lookups are cached for `cacheSeconds` (a reconnect storm costs no query per
/// CONNECT); ``forget()`` empties the cache when credentials are rotated or deleted. An unknown
/// user name costs the same hash as a known one, so timing does not tell names apart.
public final class BrokerAccessService: Sendable {
    /// What the broker is told.
    public enum Verdict: Sendable, Equatable {
        case allow
        case deny(String)
    }

    let credentials: any CredentialStore
    let authorizer: DeviceAuthorizer
    let cacheSeconds: Double
    let clock: @Sendable () -> Double
    private let cache = NIOLockedValueBox<[String: (at: Double, entry: (DeviceIdentity, SecretHash)?)]>([:])
    private static let decoy = SecretHash.make("not-a-device-secret")

    public init(
        credentials: any CredentialStore, layout: TopicLayout, cacheSeconds: Double = 30,
        clock: (@Sendable () -> Double)? = nil
    ) {
        self.credentials = credentials
        self.authorizer = DeviceAuthorizer(layout: layout, openForOthers: false)
        self.cacheSeconds = cacheSeconds
        self.clock = clock ?? { Double(NIODeadline.now().uptimeNanoseconds) / 1e9 }
    }

    /// May `username` log in with `password`?
    public func authenticate(username: String?, password: String?) async throws -> Verdict {
        guard let username, !username.isEmpty else { return .deny("a device logs in with its user name") }
        let entry = try await lookup(username)
        let secret = password ?? ""
        guard let (_, hash) = entry else {
            _ = Self.decoy.verify(secret)  // the same work as a real check
            return .deny("unknown user name or wrong password")
        }
        return hash.verify(secret) ? .allow : .deny("unknown user name or wrong password")
    }

    /// May the device logged in as `username` publish to, or subscribe to, `topic`?
    public func authorize(username: String?, action: AuthorizationAction, topic: String) async throws -> Verdict {
        guard let username, !username.isEmpty, let (identity, _) = try await lookup(username) else {
            return .deny("not a device login")
        }
        let client = ClientInfo(
            clientID: identity.key.uid, username: username, protocolVersion: .v5, remoteAddress: nil, listener: "http",
            attributes: ["tenant": identity.key.tenant, "device": identity.key.uid])
        switch authorizer.authorize(client, action, topic: topic) {
        case .allow: return .allow
        case .deny, .ignore: return .deny("not one of the device's \(action == .publish ? "uplink" : "downlink") topics")
        }
    }

    /// Forgets every cached lookup (credentials were rotated or deleted).
    public func forget() {
        cache.withLockedValue { $0.removeAll() }
    }

    private func lookup(_ username: String) async throws -> (DeviceIdentity, SecretHash)? {
        let now = clock()
        if let hit = cache.withLockedValue({ $0[username] }), now - hit.at < cacheSeconds { return hit.entry }
        let entry = try await credentials.mqttCredentials(username: username)
        cache.withLockedValue { cache in
            if cache.count > 100_000 { cache = cache.filter { now - $0.value.at < cacheSeconds } }
            cache[username] = (now, entry)
        }
        return entry
    }
}
