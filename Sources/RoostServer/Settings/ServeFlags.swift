/// What `roost serve` was given on its command line; nil where a flag was not given, so that
/// the environment, the config file or the default decides.
public struct ServeFlags: Sendable {
    public var mqttPort: Int?
    public var httpPort: Int?
    public var mqttsPort: Int?
    public var httpsPort: Int?
    public var dataDir: String?
    public var database: String?
    public var aclFile: String?
    public var bind: String?
    public var allowAnonymous = false
    public var tlsCert: String?
    public var tlsKey: String?
    public var topicPreset: String?
    /// `--broker`: external brokers to consume from, comma-separated.
    public var broker: String?
    /// `--mqtt-listener`: keep the own listener open beside an external broker.
    public var mqttListener = false

    public init() {}
}
