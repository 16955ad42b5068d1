/// Limits of commands (`[commands]` in the config file).
public struct CommandSettings: Sendable, Hashable {
    /// Queued (not yet sent) commands a device may have; one more is refused with 429.
    public var maxQueuedPerDevice: Int = 100
    /// Largest `params` object, in bytes of JSON.
    public var maxParamsBytes: Int = 8192
    /// Longest `timeout_s` accepted, in seconds (7 days).
    public var maxTimeout: Int64 = 7 * 86_400
    /// `timeout_s` when a request gives none, in seconds.
    public var defaultTimeout: Int64 = 300
    /// How often expired commands are looked for, in seconds.
    public var sweepInterval: Double = 1

    public init() {}
}
