public import MQTTCore
import NIOCore
public import NIOSSL

/// How an ``MQTTClient`` connects.
public struct MQTTClientConfiguration: Sendable {
    /// Host name or address of the broker.
    public var host: String = "127.0.0.1"
    /// Port of the broker (1883 for TCP, 8883 for TLS, the HTTP port for WebSocket).
    public var port: Int = 1883
    public var protocolVersion: ProtocolVersion = .v5
    /// Client identifier; empty asks a v5 broker to assign one.
    public var clientID: String = ""
    /// Clean session (3.1.1) / clean start (5.0).
    public var cleanStart: Bool = true
    /// Keep alive in seconds; PINGREQ is sent when the connection is idle this long.
    public var keepAlive: UInt16 = 60
    public var username: String?
    public var password: String?
    public var will: Will?
    /// Session expiry interval (5.0) in seconds.
    public var sessionExpiry: UInt32?
    /// How many QoS 1/2 messages the client accepts in flight (5.0 receive maximum).
    public var receiveMaximum: UInt16?
    /// Extra CONNECT properties (5.0), e.g. user properties or maximum packet size.
    public var connectProperties: Properties = .init()
    /// TLS settings; nil for plain TCP.
    public var tls: TLSConfiguration?
    /// SNI / certificate host name for TLS (defaults to `host`).
    public var tlsServerName: String?
    /// When set, connect over WebSocket to this path (e.g. `/mqtt`), subprotocol `mqtt`.
    public var webSocketPath: String?
    /// Seconds to wait for the TCP connection and CONNACK.
    public var connectTimeout: Double = 10
    /// QoS 1/2 messages are acknowledged by the caller (``MQTTClient/acknowledge(_:)``), not on
    /// receipt: a bridge that acknowledges only once it has stored a message. Messages are
    /// given to the handler set with ``MQTTClient/setMessageHandler(acknowledging:)``.
    public var acknowledgesManually = false
    /// Reconnect automatically after an unexpected disconnect; nil to stay down.
    public var reconnect: ReconnectPolicy?

    public init(
        host: String = "127.0.0.1", port: Int = 1883, clientID: String = "", protocolVersion: ProtocolVersion = .v5
    ) {
        self.host = host
        self.port = port
        self.clientID = clientID
        self.protocolVersion = protocolVersion
    }
}

/// Exponential backoff between reconnect attempts.
public struct ReconnectPolicy: Sendable {
    /// First delay, seconds.
    public var initialDelay: Double = 0.1
    /// Largest delay, seconds.
    public var maxDelay: Double = 30
    /// Attempts before giving up; nil retries forever.
    public var maxAttempts: Int?

    public init(initialDelay: Double = 0.1, maxDelay: Double = 30, maxAttempts: Int? = nil) {
        self.initialDelay = initialDelay
        self.maxDelay = maxDelay
        self.maxAttempts = maxAttempts
    }

    func delay(attempt: Int) -> Double {
        min(maxDelay, initialDelay * Double(1 << min(attempt, 20)))
    }
}

/// Errors an ``MQTTClient`` reports.
public enum MQTTClientError: Error, Sendable, Equatable {
    /// The broker refused the connection (CONNACK reason code).
    case connectionRefused(ReasonCode)
    /// Not connected, or the connection closed while waiting for an answer.
    case notConnected
    /// No answer in time.
    case timeout
    /// The broker sent something the client cannot accept.
    case protocolError(String)
    /// The broker closed the connection with DISCONNECT (5.0 reason code).
    case disconnected(ReasonCode)
    /// A publish was answered with an error reason code (5.0).
    case publishFailed(ReasonCode)
}
