/// Where a webhook delivery stands.
public enum WebhookStatus: String, Sendable, Hashable, CaseIterable {
    /// Waiting for its next attempt.
    case pending
    /// A 2xx answer was received.
    case delivered
    /// Every attempt failed.
    case failed
}

/// One webhook message (an alert opened or resolved) and its attempts.
public struct WebhookDelivery: Sendable, Hashable {
    public var id: Int64
    public var alertID: Int64
    /// `alert.opened`, `alert.resolved`.
    public var event: String
    public var url: String
    /// The JSON body, fixed when the delivery was made: every attempt sends the same bytes.
    public var body: String
    public var status: WebhookStatus
    public var attempts: Int
    public var nextAttemptAt: Int64
    /// The HTTP status of the last attempt, if it got one.
    public var lastStatus: Int?
    public var lastError: String?
    public var createdAt: Int64
    public var deliveredAt: Int64?

    public init(
        id: Int64, alertID: Int64, event: String, url: String, body: String, status: WebhookStatus, attempts: Int,
        nextAttemptAt: Int64, lastStatus: Int?, lastError: String?, createdAt: Int64, deliveredAt: Int64?
    ) {
        self.id = id
        self.alertID = alertID
        self.event = event
        self.url = url
        self.body = body
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.createdAt = createdAt
        self.deliveredAt = deliveredAt
    }
}

/// The outcome of one attempt.
public struct WebhookAttempt: Sendable, Hashable {
    public var id: Int64
    public var at: Int64
    public var delivered: Bool
    public var httpStatus: Int?
    public var error: String?
    /// When to try again; nil with `delivered` false: give up (`failed`).
    public var retryAt: Int64?

    public init(id: Int64, at: Int64, delivered: Bool, httpStatus: Int?, error: String?, retryAt: Int64?) {
        self.id = id
        self.at = at
        self.delivered = delivered
        self.httpStatus = httpStatus
        self.error = error
        self.retryAt = retryAt
    }
}
