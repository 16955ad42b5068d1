/// Alert rules, the alerts they open, and their webhook deliveries.
public protocol AlertStore: Sendable {
    /// Stores a rule of tenant `tenantID`; ``StoreError/notFound(_:)`` when its device is gone.
    func createAlertRule(tenantID: Int64, _ spec: AlertRuleSpec, now: Int64) async throws -> AlertRuleRecord
    /// The rules of one tenant, or of every tenant when nil, by id.
    func alertRules(tenantID: Int64?) async throws -> [AlertRuleRecord]
    func alertRule(id: Int64) async throws -> AlertRuleRecord?
    /// Replaces a rule's fields; nil when it is unknown.
    func updateAlertRule(id: Int64, _ spec: AlertRuleSpec, now: Int64) async throws -> AlertRuleRecord?
    /// Deletes a rule and its alerts.
    func deleteAlertRule(id: Int64) async throws -> Bool

    /// Opens an alert for the rule and device unless one is already open or acknowledged
    /// (then nil: alerts are deduplicated by the store).
    func openAlert(ruleID: Int64, deviceID: Int64, value: Double?, at: Int64) async throws -> AlertRecord?
    /// Resolves the unresolved alert of the rule and device; nil when there is none.
    func resolveAlert(ruleID: Int64, deviceID: Int64, at: Int64) async throws -> AlertRecord?
    /// Acknowledges an open alert; nil when it is unknown or not open.
    func acknowledgeAlert(id: Int64, by: String, at: Int64) async throws -> AlertRecord?
    func alert(id: Int64) async throws -> AlertRecord?
    func alerts(_ query: AlertQuery) async throws -> [AlertRecord]
    /// Every alert that is not resolved (the evaluator starts from them).
    func unresolvedAlerts() async throws -> [AlertRecord]

    /// Queues a webhook delivery, due at once.
    func enqueueWebhook(alertID: Int64, event: String, url: String, body: String, at: Int64) async throws
        -> WebhookDelivery
    /// Claims up to `limit` pending deliveries due at `now` for `lease` ms (another node, or
    /// this one after a crash, takes them only once the lease has passed).
    func claimWebhooks(now: Int64, lease: Int64, limit: Int) async throws -> [WebhookDelivery]
    /// Records an attempt: delivered, retried at `retryAt`, or failed for good.
    func recordWebhookAttempt(_ attempt: WebhookAttempt) async throws
    /// The deliveries of an alert, oldest first.
    func webhookDeliveries(alertID: Int64) async throws -> [WebhookDelivery]
}
