import MQTTCore
import NIOCore

/// The ordered hook chain: authenticators, authorizers, interceptors, observers.
public struct BrokerHooks: Sendable {
    public var authenticators: [any MQTTAuthenticator] = []
    public var authorizers: [any MQTTAuthorizer] = []
    public var interceptors: [any MQTTInterceptor] = []
    public var observers: [any MQTTObserver] = []

    public init() {}

    /// Runs the authenticators in order; deny by default once any is configured.
    package func authenticate(_ request: AuthenticationRequest, allowAnonymous: Bool) async -> AuthenticationResult {
        if authenticators.isEmpty { return .allow() }
        for authenticator in authenticators {
            switch await authenticator.authenticate(request) {
            case .ignore: continue
            case let result: return result
            }
        }
        if request.username == nil && allowAnonymous { return .allow() }
        return .deny(request.username == nil ? .notAuthorized : .badUserNameOrPassword)
    }

    /// Runs the authorizers in order; allowed when none is configured or the client is a
    /// superuser, denied when none allows.
    package func authorize(_ client: ClientInfo, _ action: AuthorizationAction, topic: String) -> Bool {
        if authorizers.isEmpty || client.isSuperuser { return true }
        for authorizer in authorizers {
            switch authorizer.authorize(client, action, topic: topic) {
            case .allow: return true
            case .deny: return false
            case .ignore: continue
            }
        }
        return false
    }
}
