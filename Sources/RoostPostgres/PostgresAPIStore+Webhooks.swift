import PostgresNIO
public import RoostStore

extension PostgresAPIStore {
    static let webhookColumns = """
        id, alert_id, event, url, body, status, attempts, next_attempt_at, last_status, last_error, created_at,
        delivered_at
        """

    typealias WebhookRow = (Int64, Int64, String, String, String, String, Int32, Int64, Int32?, String?, Int64, Int64?)

    func webhooks(_ query: PostgresQuery) async throws -> [WebhookDelivery] {
        var result: [WebhookDelivery] = []
        for try await r in try await client.query(query, logger: logger).decode(WebhookRow.self) {
            guard let status = WebhookStatus(rawValue: r.5) else { continue }
            result.append(
                WebhookDelivery(
                    id: r.0, alertID: r.1, event: r.2, url: r.3, body: r.4, status: status, attempts: Int(r.6),
                    nextAttemptAt: r.7, lastStatus: r.8.map(Int.init), lastError: r.9, createdAt: r.10,
                    deliveredAt: r.11))
        }
        return result
    }

    public func enqueueWebhook(alertID: Int64, event: String, url: String, body: String, at: Int64) async throws
        -> WebhookDelivery
    {
        guard
            let delivery = try await webhooks(
                """
                INSERT INTO webhook_deliveries (alert_id, event, url, body, status, attempts, next_attempt_at,
                    claimed_until, created_at)
                VALUES (\(alertID), \(event), \(url), \(body), 'pending', 0, \(at), 0, \(at))
                RETURNING \(unescaped: Self.webhookColumns)
                """
            ).first
        else { throw StoreError.notFound("webhook delivery") }
        return delivery
    }

    public func claimWebhooks(now: Int64, lease: Int64, limit: Int) async throws -> [WebhookDelivery] {
        // SKIP LOCKED: two nodes claiming at once take different deliveries.
        try await webhooks(
            """
            UPDATE webhook_deliveries SET claimed_until = \(now + lease)
            WHERE id IN (
                SELECT id FROM webhook_deliveries
                WHERE status = 'pending' AND next_attempt_at <= \(now) AND claimed_until <= \(now)
                ORDER BY next_attempt_at LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING \(unescaped: Self.webhookColumns)
            """
        ).sorted { $0.id < $1.id }
    }

    public func recordWebhookAttempt(_ a: WebhookAttempt) async throws {
        let status = a.delivered ? "delivered" : (a.retryAt == nil ? "failed" : "pending")
        let code = a.httpStatus.map(Int32.init)
        try await client.query(
            """
            UPDATE webhook_deliveries SET status = \(status), attempts = attempts + 1,
                next_attempt_at = \(a.retryAt ?? a.at), claimed_until = 0, last_status = \(code),
                last_error = \(a.error), delivered_at = CASE WHEN \(a.delivered) THEN \(a.at) ELSE delivered_at END
            WHERE id = \(a.id)
            """, logger: logger)
    }

    public func webhookDeliveries(alertID: Int64) async throws -> [WebhookDelivery] {
        try await webhooks(
            "SELECT \(unescaped: Self.webhookColumns) FROM webhook_deliveries WHERE alert_id = \(alertID) ORDER BY id")
    }
}
