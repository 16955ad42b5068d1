import Foundation
public import MQTTCore

/// Where and how Roost consumes devices' messages from an external broker (EMQX, Mosquitto):
/// `roost serve --broker mqtt://user:pw@host:1883` (a comma-separated list fails over in turn).
public struct ExternalBrokerSettings: Sendable, Equatable {
    /// The brokers to try, in order.
    public var urls: [ExternalBrokerURL]
    /// This node's client id: stable across restarts (its persistent session is found by it)
    /// and different on every node (`external_broker.client_id`, default `roost-HOSTNAME`).
    public var clientID: String
    /// Seconds the broker keeps this node's session (and what it queued) while it is away.
    public var sessionExpiry: UInt32 = 3600
    /// Messages the broker may have in flight to this node before an acknowledgement; they
    /// are acknowledged only once committed, so this bounds what one node holds uncommitted.
    public var receiveMaximum: UInt16 = 1000
    /// The shared-subscription group (`$share/GROUP/…`): every node of one fleet uses the same.
    public var shareGroup = "roost"
    /// MQTT version spoken to the broker: 5 (default) or 4 (3.1.1, without receive maximum or
    /// session expiry; the session then lasts until the broker drops it).
    public var protocolVersion: ProtocolVersion = .v5
    /// A PEM file of the CA certificates to trust for `mqtts://` and `wss://` (the system's
    /// roots when nil).
    public var caFile: String?
    /// Where the broker announces its clients' connects and disconnects, as a filter whose
    /// last level is the client id (EMQX: `$SYS/brokers/+/clients/+`, then `/connected` and
    /// `/disconnected`); nil: none (Mosquitto has no such events).
    public var clientEvents: String? = "$SYS/brokers/+/clients/+"
    /// Keep the server's own MQTT listener open beside the external broker.
    public var keepListener = false

    /// The settings for `urls` with the defaults.
    public init(urls: [ExternalBrokerURL], clientID: String = Self.defaultClientID) {
        self.urls = urls
        self.clientID = clientID
    }

    /// `roost-` and the host name.
    public static var defaultClientID: String {
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "node"
        return "roost-" + host
    }

    /// The shared subscription filter of `filter`.
    public func shared(_ filter: String) -> String { "$share/\(shareGroup)/\(filter)" }
}

/// One external broker: `mqtt://`, `mqtts://` (TLS), `ws://` or `wss://` (WebSocket, path
/// `/mqtt` unless given), with an optional `user:password@` (percent-encoded).
public struct ExternalBrokerURL: Sendable, Equatable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var tls: Bool
    /// The WebSocket path, nil for TCP.
    public var webSocketPath: String?
    public var username: String?
    public var password: String?

    /// Parses one URL; the error says what is wrong with it.
    public init(parsing text: String) throws(SettingsError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard let components = URLComponents(string: trimmed), let scheme = components.scheme?.lowercased(),
            let host = components.host, !host.isEmpty
        else {
            throw SettingsError("--broker \(trimmed): expected mqtt://[user:password@]host[:port]")
        }
        switch scheme {
        case "mqtt", "tcp": (tls, webSocketPath, port) = (false, nil, components.port ?? 1883)
        case "mqtts", "ssl", "tls": (tls, webSocketPath, port) = (true, nil, components.port ?? 8883)
        case "ws": (tls, webSocketPath, port) = (false, Self.path(components), components.port ?? 80)
        case "wss": (tls, webSocketPath, port) = (true, Self.path(components), components.port ?? 443)
        default:
            throw SettingsError("--broker \(trimmed): the scheme must be mqtt, mqtts, ws or wss, not \(scheme)")
        }
        guard (1...65_535).contains(port) else { throw SettingsError("--broker \(trimmed): port \(port) is out of range") }
        self.host = host
        self.username = components.user.flatMap { $0.isEmpty ? nil : $0 }
        self.password = components.password
    }

    /// A comma-separated list, in failover order.
    public static func list(_ text: String) throws(SettingsError) -> [ExternalBrokerURL] {
        var urls: [ExternalBrokerURL] = []
        for part in text.split(separator: ",") where !part.trimmingCharacters(in: .whitespaces).isEmpty {
            urls.append(try ExternalBrokerURL(parsing: String(part)))
        }
        guard !urls.isEmpty else { throw SettingsError("--broker needs at least one URL") }
        return urls
    }

    private static func path(_ components: URLComponents) -> String {
        components.path.isEmpty ? "/mqtt" : components.path
    }

    /// The URL without its password.
    public var description: String {
        let scheme = webSocketPath == nil ? (tls ? "mqtts" : "mqtt") : (tls ? "wss" : "ws")
        let user = username.map { "\($0)@" } ?? ""
        return "\(scheme)://\(user)\(host):\(port)\(webSocketPath ?? "")"
    }
}
