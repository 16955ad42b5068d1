/// How often alerts are swept and how webhooks are retried.
public struct AlertSettings: Sendable, Hashable {
    /// Seconds between sweeps for breaches held long enough, silent and offline devices.
    public var sweepInterval: Double = 1
    /// Attempts of a webhook before it is marked failed.
    public var webhookAttempts = 8
    /// Seconds before the first retry; each next retry waits twice as long, up to `webhookMaxBackoff`.
    public var webhookRetryBase: Double = 2
    public var webhookMaxBackoff: Double = 300
    /// Seconds one attempt may take.
    public var webhookTimeout: Double = 10

    public init() {}

    /// Milliseconds to wait after `attempts` failed attempts; nil once they are used up.
    public func retryDelay(after attempts: Int) -> Int64? {
        guard attempts < webhookAttempts else { return nil }
        let seconds = min(webhookMaxBackoff, webhookRetryBase * Double(1 << min(attempts - 1, 30)))
        return Int64(seconds * 1000)
    }
}
