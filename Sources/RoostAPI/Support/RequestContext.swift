public import Hummingbird
public import NIOCore
public import RoostStore

/// Who is calling: a user through an access token, or a script through a personal API key.
public struct Identity: Sendable, Hashable {
    public var userID: Int64
    public var role: Role
    /// `nil` for platform admins.
    public var tenantID: Int64?
    /// `jwt` or `api_key`.
    public var via: String
    /// When the credential stops being valid (an access token's `exp`), epoch ms; nil for keys.
    public var expiresAt: Int64? = nil
}

/// The request context of every route: Hummingbird's core storage plus the caller's identity.
public struct RoostRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by ``AuthMiddleware`` when the request carries valid credentials.
    public var identity: Identity?
    /// The peer's IP address (login rate limits).
    public let remoteAddress: String
    /// The event loop of the request's connection (in-process publishes are made on it).
    public let eventLoop: any EventLoop

    public init(source: Source) {
        self.coreContext = .init(source: source)
        self.identity = nil
        self.remoteAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
        self.eventLoop = source.channel.eventLoop
    }

    /// JSON bodies are small; uploads beyond this are refused with 413.
    public var maxUploadSize: Int { 4 << 20 }

    /// The caller, who must have at least `role`; 401 without credentials, 403 below the role.
    public func require(_ role: Role) throws(APIError) -> Identity {
        guard let identity else {
            throw APIError(.unauthorized, "unauthorized", "log in and send the access token as a bearer token")
        }
        guard identity.role.includes(role) else {
            throw APIError(.forbidden, "forbidden", "this needs the role \(role.rawValue) or higher")
        }
        return identity
    }

    /// The tenant the caller acts on: its own, or for a platform admin the one it names (nil =
    /// all tenants).
    public func scope(_ identity: Identity, requested: Int64? = nil) -> Int64? {
        identity.role == .platformAdmin ? requested : identity.tenantID
    }
}
