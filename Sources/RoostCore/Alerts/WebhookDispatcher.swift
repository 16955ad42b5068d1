import Foundation
public import Logging
public import RoostStore
public import ServiceLifecycle
public import Synchronization

/// Sends HTTP POSTs (the server gives an adapter over its HTTP client).
public protocol WebhookSender: Sendable {
    /// POSTs `body` to `url` with `headers`; returns the HTTP status, throws when no answer came.
    func post(url: String, body: [UInt8], headers: [(String, String)], timeout: Duration) async throws -> Int
}

/// Sends queued webhook deliveries: each is claimed in the store under a lease (so one node
/// sends it, and a delivery a crash interrupted is taken again once its lease passes), signed
/// with its rule's secret, and retried with exponential backoff until a 2xx or the last attempt.
public final class WebhookDispatcher: Service, Sendable {
    let store: any AlertStore
    let sender: any WebhookSender
    let settings: AlertSettings
    let clock: any EpochClock
    let logger: Logger
    let signal: AsyncStream<Void>
    let signalSink: AsyncStream<Void>.Continuation
    /// Attempts made, and deliveries that succeeded or gave up.
    public let attempts = Atomic<Int>(0)
    public let delivered = Atomic<Int>(0)
    public let failed = Atomic<Int>(0)

    public init(
        store: any AlertStore, sender: any WebhookSender, settings: AlertSettings = .init(),
        clock: any EpochClock = SystemEpochClock(), logger: Logger = Logger(label: "roost.webhooks")
    ) {
        self.store = store
        self.sender = sender
        self.settings = settings
        self.clock = clock
        self.logger = logger
        (signal, signalSink) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// A delivery was queued: look now rather than at the next tick.
    public func wake() { signalSink.yield() }

    /// Sends what is due until shutdown, looking every second and when woken.
    public func run() async throws {
        let ticker = Task { [signalSink] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(1))
                signalSink.yield()
            }
        }
        await cancelWhenGracefulShutdown {
            for await _ in self.signal {
                do {
                    try await self.sendDue()
                } catch {
                    self.logger.warning("claiming webhooks failed: \(error)")
                }
            }
        }
        ticker.cancel()
    }

    /// Claims and sends the deliveries due now; returns how many were attempted.
    @discardableResult
    public func sendDue() async throws -> Int {
        var total = 0
        while true {
            let lease = Int64((settings.webhookTimeout + 30) * 1000)
            let due = try await store.claimWebhooks(now: clock.nowMilliseconds(), lease: lease, limit: 20)
            guard !due.isEmpty else { return total }
            await withTaskGroup(of: Void.self) { group in
                for delivery in due { group.addTask { await self.send(delivery) } }
            }
            total += due.count
        }
    }

    func send(_ delivery: WebhookDelivery) async {
        let secret = await secret(for: delivery)
        let body = Array(delivery.body.utf8)
        var headers: [(String, String)] = [
            ("Content-Type", "application/json"), ("User-Agent", "roost-webhook"),
            ("X-Roost-Event", delivery.event), ("X-Roost-Delivery", String(delivery.id)),
        ]
        if let secret {
            let now = clock.nowMilliseconds() / 1000
            headers.append(("X-Roost-Signature", WebhookSigner.signature(body: body, secret: secret, timestamp: now)))
        }
        attempts.add(1, ordering: .relaxed)
        var status: Int?
        var failure: String?
        do {
            status = try await sender.post(
                url: delivery.url, body: body, headers: headers,
                timeout: .milliseconds(Int64(settings.webhookTimeout * 1000)))
            if !(200..<300).contains(status!) { failure = "HTTP \(status!)" }
        } catch {
            failure = "\(error)"
        }
        let at = clock.nowMilliseconds()
        let ok = failure == nil
        let retry = ok ? nil : settings.retryDelay(after: delivery.attempts + 1).map { at + $0 }
        if ok {
            delivered.add(1, ordering: .relaxed)
        } else if retry == nil {
            failed.add(1, ordering: .relaxed)
            logger.warning(
                "webhook failed for good", metadata: ["url": "\(delivery.url)", "error": "\(failure ?? "")"])
        }
        do {
            try await store.recordWebhookAttempt(
                WebhookAttempt(id: delivery.id, at: at, delivered: ok, httpStatus: status, error: failure, retryAt: retry))
        } catch {
            logger.warning("recording a webhook attempt failed: \(error)", metadata: ["delivery": "\(delivery.id)"])
        }
    }

    private func secret(for delivery: WebhookDelivery) async -> String? {
        guard let alert = try? await store.alert(id: delivery.alertID),
            let rule = try? await store.alertRule(id: alert.ruleID)
        else { return nil }
        return rule.spec.webhookSecret
    }
}
