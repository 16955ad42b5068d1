import Foundation
import NIOConcurrencyHelpers
public import Logging
public import RoostStore
public import ServiceLifecycle
public import Synchronization

/// Alert rules, evaluated in the ingest path after commit. Rules and the facts they need about
/// each device (tenant, labels, last data, presence) live in memory, so a message costs a
/// dictionary lookup and a comparison per rule that covers its device, never a query. Opening
/// and resolving go to the store (which keeps one unresolved alert per rule and device) on the
/// engine's own task, then to realtime sockets and, for rules with one, a webhook. A sweep
/// opens breaches held long enough and silent or offline devices.
public final class AlertEngine: IngestCommitObserver, Service, Sendable {
    let store: any AlertStore & RegistryStore
    let bus: any RealtimeBus
    let clock: any EpochClock
    let logger: Logger
    public let settings: AlertSettings
    /// Told when a webhook is queued.
    let webhooks: WebhookDispatcher?
    /// Rules and device facts; AlertDevice objects are read and changed only under this lock.
    let state = NIOLockedValueBox(State())
    let actions: AsyncStream<Action>
    let actionSink: AsyncStream<Action>.Continuation
    /// Counters for `/metrics`.
    public let evaluations = Atomic<Int>(0)
    public let opened = Atomic<Int>(0)
    public let resolved = Atomic<Int>(0)
    /// Reloads started and applied: a slower, older reload never overwrites a newer one.
    let reloads = Mutex<(started: Int, applied: Int)>((0, 0))

    struct State {
        var rules: [String: TenantRules] = [:]
        var ruleByID: [Int64: AlertRule] = [:]
        var devices: [Int64: AlertDevice] = [:]
    }

    enum Action: Sendable {
        case open(AlertPair, value: Double?, at: Int64)
        case resolve(AlertPair, at: Int64)
        case refresh(Int64)
    }

    public init(
        store: any AlertStore & RegistryStore, bus: any RealtimeBus, settings: AlertSettings = .init(),
        webhooks: WebhookDispatcher? = nil, clock: any EpochClock = SystemEpochClock(),
        logger: Logger = Logger(label: "roost.alerts")
    ) {
        self.store = store
        self.bus = bus
        self.settings = settings
        self.webhooks = webhooks
        self.clock = clock
        self.logger = logger
        (actions, actionSink) = AsyncStream.makeStream(of: Action.self)
    }

    // MARK: Ingest

    public func committed(_ batch: IngestBatch, result: IngestResult, devices ids: [DeviceKey: Int64]) {
        var out: [Action] = []
        var count = 0
        state.withLockedValue { s in
            guard !s.rules.isEmpty else { return }
            var keys: [Int64: DeviceKey]?
            func device(_ id: Int64) -> AlertDevice? {
                if let known = s.devices[id] { return known }
                // A device the ingest registered just now: no labels yet; read it once to be sure.
                if keys == nil { keys = Dictionary(ids.map { ($1, $0) }, uniquingKeysWith: { a, _ in a }) }
                guard let key = keys?[id], s.rules[key.tenant] != nil else { return nil }
                let fresh = AlertDevice(tenant: key.tenant, uid: key.uid, at: batch.lastSeen[id] ?? 0)
                s.devices[id] = fresh
                out.append(.refresh(id))
                return fresh
            }
            for status in batch.statuses {
                guard let d = device(status.device) else { continue }
                d.online = status.online
                d.statusAt = status.at
                guard status.online, !d.active.isEmpty, let rules = s.rules[d.tenant] else { continue }
                for rule in rules.offline where rules.covers(rule, status.device, d) {
                    count += 1
                    if d.active.remove(rule.id) != nil {
                        out.append(.resolve(AlertPair(rule: rule.id, device: status.device), at: status.at))
                    }
                }
            }
            for index in batch.telemetry.indices where result.insertedPositions.contains(index) {
                let row = batch.telemetry[index]
                guard let d = device(row.device), let rules = s.rules[d.tenant] else { continue }
                if row.receivedAt > d.lastData { d.lastData = row.receivedAt }
                if !d.active.isEmpty {
                    for rule in rules.noData where d.active.contains(rule.id) && rules.covers(rule, row.device, d) {
                        d.active.remove(rule.id)
                        out.append(.resolve(AlertPair(rule: rule.id, device: row.device), at: row.receivedAt))
                    }
                }
                let fields = index < batch.rowFields.count ? batch.rowFields[index] : []
                // Nothing held and nothing open on this device (the common case): a rule that
                // covers every device and is not breached needs nothing but its comparison, so
                // the device's tables are read once per message, not once per rule.
                var quiet = d.breaches.isEmpty && d.active.isEmpty
                for group in rules.thresholds {
                    // The key's value, found once for every rule that reads it.
                    guard let value = fields.first(where: { $0.key == group.key })?.value.numberValue else { continue }
                    for rule in group.checks {
                        if quiet && rule.device < 0 && rule.selector < 0 {
                            count += 1
                            if !rule.op.breached(value, rule.threshold) { continue }
                        } else {
                            guard rules.covers(rule, row.device, d) else { continue }
                            count += 1
                        }
                        let breached = rule.op.breached(value, rule.threshold)
                        if !breached && quiet { continue }
                        quiet = false
                        if breached {
                            let since = d.breaches[rule.id]?.since ?? row.receivedAt
                            d.breaches[rule.id] = (since, value)
                            if row.receivedAt - since >= rule.holdMS, d.active.insert(rule.id).inserted {
                                out.append(.open(AlertPair(rule: rule.id, device: row.device), value: value, at: row.receivedAt))
                            }
                        } else {
                            d.breaches[rule.id] = nil
                            if d.active.remove(rule.id) != nil {
                                out.append(.resolve(AlertPair(rule: rule.id, device: row.device), at: row.receivedAt))
                            }
                        }
                    }
                }
            }
        }
        if count > 0 { evaluations.add(count, ordering: .relaxed) }
        for action in out { actionSink.yield(action) }
    }

    // MARK: Sweep

    /// Opens what time alone decides: breaches held for their rule's duration, devices silent
    /// or offline for theirs. Returns how many alerts it asked to open.
    @discardableResult
    func sweep(now: Int64) -> Int {
        let out = state.withLockedValue { s -> [Action] in
            var out: [Action] = []
            for (id, d) in s.devices {
                for (rule, breach) in d.breaches where !d.active.contains(rule) {
                    guard let r = s.ruleByID[rule], now - breach.since >= r.holdMS else { continue }
                    d.active.insert(rule)
                    out.append(.open(AlertPair(rule: rule, device: id), value: breach.value, at: now))
                }
                guard let rules = s.rules[d.tenant] else { continue }
                for rule in rules.noData where !d.active.contains(rule.id) && now - d.lastData >= rule.holdMS {
                    guard rules.covers(rule, id, d) else { continue }
                    d.active.insert(rule.id)
                    out.append(.open(AlertPair(rule: rule.id, device: id), value: Double((now - d.lastData) / 1000), at: now))
                }
                guard d.online == false else { continue }
                for rule in rules.offline where !d.active.contains(rule.id) && now - d.statusAt >= rule.holdMS {
                    guard rules.covers(rule, id, d) else { continue }
                    d.active.insert(rule.id)
                    out.append(.open(AlertPair(rule: rule.id, device: id), value: Double((now - d.statusAt) / 1000), at: now))
                }
            }
            return out
        }
        for action in out { actionSink.yield(action) }
        return out.count
    }

    // MARK: Running

    /// Loads the rules, sweeps on a timer and writes alerts until shutdown.
    public func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await reload()
                break
            } catch {
                logger.warning("loading alert rules failed, retrying: \(error)")
                try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
            }
        }
        let interval = Duration.milliseconds(Int64(max(0.01, settings.sweepInterval) * 1000))
        let clock = clock
        let sweeper = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                self?.sweep(now: clock.nowMilliseconds())
            }
        }
        await cancelWhenGracefulShutdown {
            for await action in self.actions { await self.perform(action) }
        }
        sweeper.cancel()
    }
}
