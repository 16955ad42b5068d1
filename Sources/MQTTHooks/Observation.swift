public import MQTTCore
public import NIOCore

/// Why a client went away, as observers see it.
public enum DisconnectReason: Sendable, Hashable {
    /// DISCONNECT sent by the client (with its reason code).
    case clientDisconnected(ReasonCode)
    /// Keep alive expired.
    case keepAliveTimeout
    /// Another connection took the client id over.
    case takenOver
    /// A protocol violation or malformed packet.
    case protocolError(ReasonCode)
    /// The socket closed without DISCONNECT.
    case connectionLost
    /// The server is shutting down.
    case serverShutdown
    /// The server revoked the client's login (a device's credentials rotated or deleted).
    case revoked

    /// `true` when the Last Will must be published.
    public var publishesWill: Bool {
        switch self {
        case .clientDisconnected(let code): code == .disconnectWithWill
        case .serverShutdown: false
        default: true
        }
    }
}

/// Watches what happens. `messagePublished` may return a future: a QoS 1/2 acknowledgement to
/// the publisher is then held until it succeeds (the ingest pipeline's ack-after-commit), without
/// blocking the connection.
public protocol MQTTObserver: Sendable {
    func clientConnected(_ client: ClientInfo)
    func clientDisconnected(_ client: ClientInfo, reason: DisconnectReason)
    /// Called on `eventLoop`, the publisher's; a returned future should belong to it.
    func messagePublished(_ message: Message, from client: ClientInfo?, on eventLoop: any EventLoop)
        -> EventLoopFuture<Void>?
    func subscribed(_ client: ClientInfo, to subscription: Subscription)
    func unsubscribed(_ client: ClientInfo, from filter: String)
    /// A message that carries an ``Message/attachment`` reached `client`: its PUBACK (QoS 1) or
    /// PUBCOMP (QoS 2) arrived. Only such messages are reported, so that tracking what the
    /// server sends (commands) costs the rest of the traffic nothing.
    func messageDelivered(_ message: Message, to client: ClientInfo)
    /// The session of `client` ended with its connection (clean session, or an expiry of 0):
    /// what was in flight to it is gone. `filters` are the subscriptions it had.
    func sessionEnded(_ client: ClientInfo, filters: [String])
}

extension MQTTObserver {
    public func clientConnected(_ client: ClientInfo) {}
    public func clientDisconnected(_ client: ClientInfo, reason: DisconnectReason) {}
    public func messagePublished(_ message: Message, from client: ClientInfo?, on eventLoop: any EventLoop)
        -> EventLoopFuture<Void>?
    { nil }
    public func subscribed(_ client: ClientInfo, to subscription: Subscription) {}
    public func unsubscribed(_ client: ClientInfo, from filter: String) {}
    public func messageDelivered(_ message: Message, to client: ClientInfo) {}
    public func sessionEnded(_ client: ClientInfo, filters: [String]) {}
}
