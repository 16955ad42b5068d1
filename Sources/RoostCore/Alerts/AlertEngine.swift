import Foundation
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
    let state = Mutex(State())
    let actions: AsyncStream<Action>
    let actionSink: AsyncStream<Action>.Continuation
    /// Counters for `/metrics`.
    public let evaluations = Atomic<Int>(0)
    public let opened = Atomic<Int>(0)
    public let resolved = Atomic<Int>(0)
    /// Reloads started and applied: a slower, older reload never overwrites a newer one.
    let reloads = Mutex<(started: Int, applied: Int)>((0, 0))

    struct State {
        var rules: [String: [AlertRule]] = [:]
        var ruleByID: [Int64: AlertRule] = [:]
        var devices: [Int64: AlertDevice] = [:]
        var breaches: [AlertPair: (since: Int64, value: Double)] = [:]
        /// Pairs with an open or acknowledged alert.
        var active: Set<AlertPair> = []
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
        state.withLock { s in
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
                guard var d = device(status.device) else { continue }
                d.online = status.online
                d.statusAt = status.at
                s.devices[status.device] = d
                guard status.online else { continue }
                for rule in s.rules[d.tenant] ?? [] where rule.kind == .offline && rule.covers(status.device, d) {
                    count += 1
                    let pair = AlertPair(rule: rule.id, device: status.device)
                    if s.active.remove(pair) != nil { out.append(.resolve(pair, at: status.at)) }
                }
            }
            for index in batch.telemetry.indices where result.insertedPositions.contains(index) {
                let row = batch.telemetry[index]
                guard var d = device(row.device) else { continue }
                d.lastData = max(d.lastData, row.receivedAt)
                s.devices[row.device] = d
                for rule in s.rules[d.tenant] ?? [] where rule.kind != .offline && rule.covers(row.device, d) {
                    count += 1
                    let pair = AlertPair(rule: rule.id, device: row.device)
                    if rule.kind == .noData {
                        if s.active.remove(pair) != nil { out.append(.resolve(pair, at: row.receivedAt)) }
                        continue
                    }
                    let fields = index < batch.rowFields.count ? batch.rowFields[index] : []
                    guard let (value, breached) = rule.check(fields) else { continue }
                    if breached {
                        let since = s.breaches[pair]?.since ?? row.receivedAt
                        s.breaches[pair] = (since, value)
                        if !s.active.contains(pair) && row.receivedAt - since >= rule.holdMS {
                            s.active.insert(pair)
                            out.append(.open(pair, value: value, at: row.receivedAt))
                        }
                    } else {
                        s.breaches[pair] = nil
                        if s.active.remove(pair) != nil { out.append(.resolve(pair, at: row.receivedAt)) }
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
        let out = state.withLock { s -> [Action] in
            var out: [Action] = []
            for (pair, breach) in s.breaches where !s.active.contains(pair) {
                guard let rule = s.ruleByID[pair.rule], now - breach.since >= rule.holdMS else { continue }
                s.active.insert(pair)
                out.append(.open(pair, value: breach.value, at: now))
            }
            for (id, d) in s.devices {
                for rule in s.rules[d.tenant] ?? [] where rule.kind != .threshold && rule.covers(id, d) {
                    let pair = AlertPair(rule: rule.id, device: id)
                    guard !s.active.contains(pair) else { continue }
                    let since: Int64? =
                        rule.kind == .noData ? d.lastData : (d.online == false ? d.statusAt : nil)
                    guard let since, now - since >= rule.holdMS else { continue }
                    s.active.insert(pair)
                    out.append(.open(pair, value: Double((now - since) / 1000), at: now))
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
