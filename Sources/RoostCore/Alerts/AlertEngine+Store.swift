import Foundation
import Logging
public import RoostStore

extension AlertEngine {
    /// Writes one step to the store; the store's answer decides whether anything happened (an
    /// alert already open, or already resolved, is left alone).
    func perform(_ action: Action) async {
        do {
            switch action {
            case .open(let pair, let value, let at):
                guard let alert = try await store.openAlert(ruleID: pair.rule, deviceID: pair.device, value: value, at: at)
                else { return }
                opened.add(1, ordering: .relaxed)
                logger.info(
                    "alert opened", metadata: ["rule": "\(alert.ruleName)", "device": "\(alert.uid)", "alert": "\(alert.id)"])
                try await announce(alert, "opened")
            case .resolve(let pair, let at):
                guard let alert = try await store.resolveAlert(ruleID: pair.rule, deviceID: pair.device, at: at) else {
                    return
                }
                resolved.add(1, ordering: .relaxed)
                logger.info("alert resolved", metadata: ["rule": "\(alert.ruleName)", "device": "\(alert.uid)"])
                try await announce(alert, "resolved")
            case .refresh(let id):
                await deviceChanged(id)
            }
        } catch {
            logger.warning("recording an alert step failed: \(error)")
            // Forget the in-memory mark: the next message or sweep tries again.
            if case .open(let pair, _, _) = action {
                state.withLockedValue { _ = $0.devices[pair.device]?.active.remove(pair.rule) }
            }
        }
    }

    /// Pushes a step to realtime sockets and queues the rule's webhook (opened and resolved).
    func announce(_ alert: AlertRecord, _ event: String) async throws {
        if bus.interest.takes(.alert, device: alert.deviceID, tenant: alert.tenant) {
            bus.publish([AlertJSON.event(alert, event)])
        }
        guard event != "acknowledged",
            let url = state.withLockedValue({ $0.ruleByID[alert.ruleID]?.record.spec.webhookURL })
        else { return }
        let name = "alert.\(event)"
        _ = try await store.enqueueWebhook(
            alertID: alert.id, event: name, url: url, body: AlertJSON.webhookBody(alert, name),
            at: clock.nowMilliseconds())
        webhooks?.wake()
    }

    /// Acknowledges an open alert for `by` (`user:ID`); nil when it is unknown or not open.
    public func acknowledge(id: Int64, by: String) async throws -> AlertRecord? {
        guard let alert = try await store.acknowledgeAlert(id: id, by: by, at: clock.nowMilliseconds()) else {
            return nil
        }
        try await announce(alert, "acknowledged")
        return alert
    }

    /// Reads the rules, the devices of tenants that have any, and the unresolved alerts. Called
    /// at start and whenever a rule changes.
    public func reload() async throws {
        let ticket = reloads.withLock { r -> Int in
            r.started += 1
            return r.started
        }
        let rules = try await store.alertRules(tenantID: nil).filter(\.spec.enabled).map(AlertRule.init)
        var devices: [Int64: AlertDevice] = [:]
        for tenant in Set(rules.map(\.record.tenantID)) {
            var after: Int64 = 0
            while true {
                let page = try await store.devices(DeviceQuery(tenantID: tenant, limit: 1000, afterID: after)).devices
                for record in page { devices[record.id] = AlertDevice(record) }
                guard page.count == 1000, let last = page.last?.id else { break }
                after = last
            }
        }
        let unresolved = try await store.unresolvedAlerts()
        for alert in unresolved { devices[alert.deviceID]?.active.insert(alert.ruleID) }
        state.withLockedValue { s in
            let applied = reloads.withLock { r -> Bool in
                guard ticket > r.applied else { return false }
                r.applied = ticket
                return true
            }
            guard applied else { return }
            let byTenant = Dictionary(grouping: rules, by: \.record.tenant)
            s.rules = byTenant.mapValues(TenantRules.init)
            s.ruleByID = Dictionary(rules.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            // What memory learnt since the store was read (newer data, presence, held breaches)
            // is kept; which alerts are open is the store's word.
            for (id, fresh) in devices {
                guard let old = s.devices[id] else { continue }
                let active = fresh.active
                fresh.inherit(old)
                fresh.active = active
                fresh.breaches = fresh.breaches.filter { s.ruleByID[$0.key] != nil }
            }
            s.devices = devices
        }
        logger.debug("alert rules loaded", metadata: ["rules": "\(rules.count)", "devices": "\(devices.count)"])
    }

    /// A device was created, changed (labels) or deleted: read it again.
    public func deviceChanged(_ id: Int64) async {
        do {
            let record = try await store.device(id: id, tenantID: nil)
            state.withLockedValue { s in
                guard let record else {
                    s.devices[id] = nil
                    return
                }
                guard s.rules[record.tenant] != nil else { return }
                let fresh = AlertDevice(record)
                if let old = s.devices[id] { fresh.inherit(old) }
                s.devices[id] = fresh
            }
        } catch {
            logger.warning("reading a device for alerts failed: \(error)", metadata: ["device": "\(id)"])
        }
    }
}
