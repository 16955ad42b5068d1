public import MQTTCore
import NIOCore

/// Who a connected client is, as hooks see it.
public struct ClientInfo: Sendable {
    public var clientID: String
    public var username: String?
    public var protocolVersion: ProtocolVersion
    /// `ip:port` of the peer, nil for the inline client.
    public var remoteAddress: String?
    /// Which listener accepted it: `tcp`, `tls`, `ws`, `wss` or `inline`.
    public var listener: String
    /// Facts an authenticator attached (e.g. `device`, `tenant`), read by authorizers.
    public var attributes: [String: String]
    /// Not subject to authorizers (EMQX's `is_superuser`): the server's own identity
    /// (``server``). Interceptors and observers still see its messages.
    public var isSuperuser: Bool

    /// A client identity; `listener` is `inline` for in-process publishers.
    public init(
        clientID: String, username: String? = nil, protocolVersion: ProtocolVersion = .v5,
        remoteAddress: String? = nil, listener: String = "inline", attributes: [String: String] = [:],
        isSuperuser: Bool = false
    ) {
        self.isSuperuser = isSuperuser
        self.clientID = clientID
        self.username = username
        self.protocolVersion = protocolVersion
        self.remoteAddress = remoteAddress
        self.listener = listener
        self.attributes = attributes
    }

    /// The server itself, publishing in-process (`$SYS` updates, what the API sends devices).
    public static let server = ClientInfo(clientID: "$roost", listener: "inline", isSuperuser: true)

    /// Messages an external broker delivered (`roost serve --broker`): published on that
    /// broker by devices whose connections this server does not see, and checked by its ACL.
    public static let bridge = ClientInfo(clientID: "$bridge", listener: "bridge", isSuperuser: true)

    /// Whether this is ``bridge``: who published is not known, only the topic.
    public var isBridge: Bool { listener == "bridge" }
}
