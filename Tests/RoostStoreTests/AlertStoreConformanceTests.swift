import RoostStore
import Testing

/// One suite, both stores: alert rules, deduplicated alerts, webhook deliveries claimed once.
@Suite("Store conformance: alerts")
struct AlertStoreConformanceTests {
    static let now: Int64 = 1_700_000_000_000

    static func tenantID(_ f: StoreFixture) async throws -> Int64 {
        try #require(try await f.api.tenants().first { $0.name == "t0" }?.id)
    }

    @Test("rules: create, list per tenant, replace, delete (taking their alerts along)", arguments: StoreKind.allCases)
    func rules(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let api = f.api
        let device = try await f.deviceIDs(["boiler"], now: Self.now)[0]
        let tenant = try await Self.tenantID(f)
        let other = try await api.createTenant(name: "t1", now: Self.now)
        var spec = AlertRuleSpec(
            name: "hot", deviceID: device, kind: .threshold, key: "temp", op: .greater, threshold: 80.5, duration: 30,
            webhookURL: "http://127.0.0.1:9/hook", webhookSecret: "s3cret")
        let hot = try await api.createAlertRule(tenantID: tenant, spec, now: Self.now)
        #expect(hot.spec == spec && hot.tenant == "t0" && hot.uid == "boiler" && hot.createdAt == Self.now)
        let quiet = try await api.createAlertRule(
            tenantID: tenant, AlertRuleSpec(name: "quiet", labels: #"{"site":"a"}"#, kind: .noData, duration: 600),
            now: Self.now)
        #expect(quiet.spec.labels == #"{"site":"a"}"# && quiet.uid == nil && quiet.spec.op == nil)
        _ = try await api.createAlertRule(
            tenantID: other.id, AlertRuleSpec(name: "gone", kind: .offline, duration: 60), now: Self.now)
        #expect(try await api.alertRules(tenantID: tenant).map(\.spec.name) == ["hot", "quiet"])
        #expect(try await api.alertRules(tenantID: nil).count == 3)
        await #expect(throws: StoreError.self) {
            _ = try await api.createAlertRule(
                tenantID: tenant, AlertRuleSpec(name: "x", deviceID: 999_999, kind: .offline), now: Self.now)
        }

        spec.threshold = 90
        spec.enabled = false
        let changed = try await api.updateAlertRule(id: hot.id, spec, now: Self.now + 5)
        #expect(changed?.spec.threshold == 90 && changed?.spec.enabled == false && changed?.updatedAt == Self.now + 5)
        #expect(try await api.alertRule(id: hot.id) == changed)
        #expect(try await api.updateAlertRule(id: 999_999, spec, now: Self.now) == nil)

        _ = try await api.openAlert(ruleID: hot.id, deviceID: device, value: 91, at: Self.now)
        #expect(try await api.deleteAlertRule(id: hot.id))
        #expect(try await !api.deleteAlertRule(id: hot.id))
        #expect(try await api.alertRule(id: hot.id) == nil)
        #expect(try await api.alerts(AlertQuery()).isEmpty)
    }

    @Test("alerts: one open per rule and device, acknowledged, resolved, listed newest first", arguments: StoreKind.allCases)
    func alerts(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let api = f.api
        let ids = try await f.deviceIDs(["boiler", "pump"], now: Self.now)
        let tenant = try await Self.tenantID(f)
        let rule = try await api.createAlertRule(
            tenantID: tenant, AlertRuleSpec(name: "hot", kind: .threshold, key: "temp", op: .greater, threshold: 80),
            now: Self.now)
        let first = try #require(try await api.openAlert(ruleID: rule.id, deviceID: ids[0], value: 85, at: Self.now))
        #expect(first.state == .open && first.value == 85 && first.ruleName == "hot" && first.uid == "boiler")
        #expect(first.tenant == "t0" && first.tenantID == tenant && first.openedAt == Self.now)
        // Deduplicated while open or acknowledged; another device has its own.
        #expect(try await api.openAlert(ruleID: rule.id, deviceID: ids[0], value: 86, at: Self.now + 1) == nil)
        let pump = try #require(try await api.openAlert(ruleID: rule.id, deviceID: ids[1], value: 99, at: Self.now + 2))
        let acked = try await api.acknowledgeAlert(id: first.id, by: "user:1", at: Self.now + 3)
        #expect(acked?.state == .acknowledged && acked?.acknowledgedBy == "user:1" && acked?.acknowledgedAt == Self.now + 3)
        #expect(try await api.acknowledgeAlert(id: first.id, by: "user:2", at: Self.now + 4) == nil)
        #expect(try await api.openAlert(ruleID: rule.id, deviceID: ids[0], value: 87, at: Self.now + 5) == nil)
        #expect(try await api.unresolvedAlerts().map(\.id) == [first.id, pump.id])

        let resolved = try await api.resolveAlert(ruleID: rule.id, deviceID: ids[0], at: Self.now + 6)
        #expect(resolved?.id == first.id && resolved?.state == .resolved && resolved?.resolvedAt == Self.now + 6)
        #expect(try await api.resolveAlert(ruleID: rule.id, deviceID: ids[0], at: Self.now + 7) == nil)
        // Once resolved, the next breach opens a new alert.
        let again = try #require(try await api.openAlert(ruleID: rule.id, deviceID: ids[0], value: 90, at: Self.now + 8))
        #expect(again.id != first.id)
        #expect(try await api.alerts(AlertQuery()).map(\.id) == [again.id, pump.id, first.id])
        #expect(try await api.alerts(AlertQuery(state: .resolved)).map(\.id) == [first.id])
        #expect(try await api.alerts(AlertQuery(deviceID: ids[1])).map(\.id) == [pump.id])
        #expect(try await api.alerts(AlertQuery(beforeID: again.id, limit: 1)).map(\.id) == [pump.id])
        #expect(try await api.alerts(AlertQuery(tenantID: tenant + 1000)).isEmpty)
        #expect(try await api.alert(id: pump.id)?.value == 99)
        #expect(try await api.openAlert(ruleID: 999_999, deviceID: ids[0], value: nil, at: Self.now) == nil)
    }

    @Test("webhooks: claimed once under a lease, retried, delivered or failed", arguments: StoreKind.allCases)
    func webhooks(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let api = f.api
        let device = try await f.deviceIDs(["boiler"], now: Self.now)[0]
        let rule = try await api.createAlertRule(
            tenantID: try await Self.tenantID(f), AlertRuleSpec(name: "off", kind: .offline, duration: 60),
            now: Self.now)
        let alert = try #require(try await api.openAlert(ruleID: rule.id, deviceID: device, value: nil, at: Self.now))
        let queued = try await api.enqueueWebhook(
            alertID: alert.id, event: "alert.opened", url: "http://127.0.0.1:9/h", body: #"{"a":1}"#, at: Self.now)
        #expect(queued.status == .pending && queued.attempts == 0 && queued.body == #"{"a":1}"#)
        let claimed = try await api.claimWebhooks(now: Self.now, lease: 30_000, limit: 10)
        #expect(claimed.map(\.id) == [queued.id])
        // Leased: nobody else takes it until the lease passes.
        #expect(try await api.claimWebhooks(now: Self.now + 1000, lease: 30_000, limit: 10).isEmpty)
        try await api.recordWebhookAttempt(
            WebhookAttempt(id: queued.id, at: Self.now + 10, delivered: false, httpStatus: 503, error: "HTTP 503",
                retryAt: Self.now + 5000))
        #expect(try await api.claimWebhooks(now: Self.now + 4000, lease: 30_000, limit: 10).isEmpty)
        #expect(try await api.claimWebhooks(now: Self.now + 5000, lease: 30_000, limit: 10).map(\.attempts) == [1])
        try await api.recordWebhookAttempt(
            WebhookAttempt(id: queued.id, at: Self.now + 5010, delivered: true, httpStatus: 204, error: nil, retryAt: nil))
        let done = try await api.webhookDeliveries(alertID: alert.id)
        #expect(done.map(\.status) == [.delivered] && done[0].attempts == 2 && done[0].lastStatus == 204)
        #expect(done[0].deliveredAt == Self.now + 5010)
        #expect(try await api.claimWebhooks(now: Self.now + 99_000, lease: 30_000, limit: 10).isEmpty)

        let second = try await api.enqueueWebhook(
            alertID: alert.id, event: "alert.resolved", url: "http://127.0.0.1:9/h", body: "{}", at: Self.now)
        _ = try await api.claimWebhooks(now: Self.now, lease: 30_000, limit: 10)
        try await api.recordWebhookAttempt(
            WebhookAttempt(id: second.id, at: Self.now + 1, delivered: false, httpStatus: nil, error: "refused", retryAt: nil))
        let failed = try await api.webhookDeliveries(alertID: alert.id).last
        #expect(failed?.status == .failed && failed?.lastError == "refused" && failed?.lastStatus == nil)
    }
}
