/// Limits and behaviour of the broker. Every limit has a default and a config key
/// (`mqtt.<name>` in the config file, `ROOST_MQTT_<NAME>` in the environment).
public struct BrokerConfiguration: Sendable {
    /// Maximum simultaneous client connections; further CONNECTs get 0x97/0x03 and are closed.
    public var maxConnections: Int = 20_000
    /// Brute-force limits for CONNECTs refused for their credentials.
    public var loginThrottle = LoginThrottle.Limits()
    /// Seconds a new connection may take to send CONNECT before it is closed (slowloris guard).
    public var connectTimeout: Double = 10
    /// Seconds a client's socket may stay unwritable (it reads nothing it is sent) before it
    /// is closed.
    public var stalledWriteTimeout: Double = 30
    /// Largest packet accepted from a client, in bytes (announced in CONNACK in 5.0).
    public var maxPacketSize: Int = 1_048_576
    /// Largest PUBLISH payload accepted, in bytes.
    public var maxPayloadSize: Int = 1_048_576
    /// QoS 1/2 messages sent to a client and not yet acknowledged, at most (the v5 client's
    /// receive maximum lowers it).
    public var maxInflight: Int = 1_000
    /// Incoming QoS 2 messages awaiting PUBREL per client (announced as receive maximum in 5.0).
    public var receiveMaximum: UInt16 = 1_000
    /// Messages queued per client while it is offline or its window is full; the oldest is dropped
    /// (and counted) when full.
    public var maxQueuedMessages: Int = 10_000
    /// Messages queued for a connected client above which publishers sending to it are slowed
    /// down: their sockets are not read until the queue is half drained (slow-consumer flow
    /// control, so that latency stays bounded instead of queues growing).
    public var slowConsumerQueue: Int = 1_000
    /// Longest a publisher is paused for a slow consumer, in seconds; after it the queue limit
    /// applies (oldest dropped), so one stalled subscriber cannot stop publishers for long.
    public var slowConsumerMaxPause: Double = 1
    /// Topic aliases a v5 client may use towards the broker.
    public var topicAliasMaximum: UInt16 = 64
    /// Highest session expiry interval granted, in seconds.
    public var maxSessionExpiry: UInt32 = 7 * 24 * 3_600
    /// Keep alive the broker imposes when a client asks for more (0: accept any).
    public var maxKeepAlive: UInt16 = 0
    /// Whether clients that send no user name may connect when an authenticator is configured.
    public var allowAnonymous: Bool = true
    /// Seconds between `$SYS/broker/...` updates; 0 disables them.
    public var sysInterval: Double = 10
    /// Seconds between saves of offline sessions that received messages (bounds what a crash
    /// can lose from offline queues); 0 saves only at disconnect and shutdown.
    public var sessionSaveInterval: Double = 1
    /// Whether QoS 0 messages are queued for offline persistent sessions (Mosquitto's
    /// `queue_qos0_messages`).
    public var queueQoS0Messages: Bool = false

    public init() {}
}
