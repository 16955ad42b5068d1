public import RoostStore
import SQLiteNIO

extension SQLiteAPIStore {
    static let webhookColumns = """
        id, alert_id, event, url, body, status, attempts, next_attempt_at, last_status, last_error, created_at,
        delivered_at
        """

    public func enqueueWebhook(alertID: Int64, event: String, url: String, body: String, at: Int64) async throws
        -> WebhookDelivery
    {
        let db = store.connection
        let row = try await store.transaction {
            try await db.rows(
                """
                INSERT INTO webhook_deliveries (alert_id, event, url, body, status, attempts, next_attempt_at,
                    claimed_until, created_at)
                VALUES (?, ?, ?, ?, 'pending', 0, ?, 0, ?) RETURNING \(Self.webhookColumns)
                """,
                [.integer(Int(alertID)), .text(event), .text(url), .text(body), .integer(Int(at)), .integer(Int(at))]
            ).first
        }
        guard let row, let delivery = Self.webhook(row) else { throw StoreError.notFound("webhook delivery") }
        return delivery
    }

    public func claimWebhooks(now: Int64, lease: Int64, limit: Int) async throws -> [WebhookDelivery] {
        let db = store.connection
        return try await store.transaction {
            try await db.rows(
                """
                UPDATE webhook_deliveries SET claimed_until = ?1 + ?2
                WHERE id IN (
                    SELECT id FROM webhook_deliveries
                    WHERE status = 'pending' AND next_attempt_at <= ?1 AND claimed_until <= ?1
                    ORDER BY next_attempt_at LIMIT ?3)
                RETURNING \(Self.webhookColumns)
                """, [.integer(Int(now)), .integer(Int(lease)), .integer(limit)]
            ).compactMap(Self.webhook).sorted { $0.id < $1.id }
        }
    }

    public func recordWebhookAttempt(_ a: WebhookAttempt) async throws {
        let db = store.connection
        let status = a.delivered ? "delivered" : (a.retryAt == nil ? "failed" : "pending")
        _ = try await store.transaction {
            try await db.rows(
                """
                UPDATE webhook_deliveries SET status = ?, attempts = attempts + 1, next_attempt_at = ?,
                    claimed_until = 0, last_status = ?, last_error = ?,
                    delivered_at = CASE WHEN ? THEN ? ELSE delivered_at END
                WHERE id = ?
                """,
                [
                    .text(status), .integer(Int(a.retryAt ?? a.at)), a.httpStatus.map { .integer($0) } ?? .null,
                    a.error.sqlite, .integer(a.delivered ? 1 : 0), .integer(Int(a.at)), .integer(Int(a.id)),
                ])
        }
    }

    public func webhookDeliveries(alertID: Int64) async throws -> [WebhookDelivery] {
        try await store.reader.rows(
            "SELECT \(Self.webhookColumns) FROM webhook_deliveries WHERE alert_id = ? ORDER BY id",
            [.integer(Int(alertID))]
        ).compactMap(Self.webhook)
    }

    static func webhook(_ row: SQLiteRow) -> WebhookDelivery? {
        func int(_ name: String) -> Int64? { row.column(name)?.integer.map(Int64.init) }
        guard let id = int("id"), let alert = int("alert_id"), let event = row.column("event")?.string,
            let url = row.column("url")?.string, let body = row.column("body")?.string,
            let status = row.column("status")?.string.flatMap(WebhookStatus.init(rawValue:)),
            let attempts = int("attempts"), let next = int("next_attempt_at"), let created = int("created_at")
        else { return nil }
        return WebhookDelivery(
            id: id, alertID: alert, event: event, url: url, body: body, status: status, attempts: Int(attempts),
            nextAttemptAt: next, lastStatus: int("last_status").map(Int.init), lastError: row.column("last_error")?.string,
            createdAt: created, deliveredAt: int("delivered_at"))
    }
}
