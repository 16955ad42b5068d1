import Logging
import MQTTHooks
import Metrics
import NIOCore
import RoostJSON
import RoostStore
import ServiceLifecycle

extension IngestPipeline {
    /// The writer: takes what has gathered (at most `batchSize`), writes it in one transaction,
    /// then completes the held acknowledgements. On graceful shutdown it stops taking new
    /// messages and writes what is queued before returning.
    public func run() async throws {
        let interval = Duration.milliseconds(Int64(max(0.05, configuration.presenceSweepInterval) * 1000))
        let sweeper = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                sweepInactive()
            }
        }
        defer { sweeper.cancel() }
        await withGracefulShutdownHandler {
            for await _ in signals {
                await drain()
                if state.withLockedValue({ $0.finished }) { break }
            }
        } onGracefulShutdown: {
            self.finish()
        }
        await drain()
    }

    /// Stops accepting messages; the writer finishes what is queued.
    public func finish() {
        state.withLockedValue { $0.finished = true }
        signal.finish()
    }

    /// Writes batches until the queue is empty, up to `writers` at a time.
    private func drain() async {
        await withTaskGroup(of: Void.self) { group in
            var inFlight = 0
            while true {
                if configuration.flushInterval > 0 && queueDepth < configuration.batchSize {
                    try? await Task.sleep(for: .milliseconds(Int64(configuration.flushInterval * 1000)))
                }
                let items = state.withLockedValue { s -> [Item] in
                    // Messages queued from now on join new commit groups.
                    s.open.removeAll(keepingCapacity: true)
                    let n = min(s.queue.count, configuration.batchSize)
                    if n == s.queue.count {
                        // The usual case: take the whole queue without copying it.
                        var taken: [Item] = []
                        swap(&taken, &s.queue)
                        return taken
                    }
                    defer { s.queue.removeFirst(n) }
                    return Array(s.queue.prefix(n))
                }
                if items.isEmpty {
                    // Nothing queued: wait for a batch in flight (more may gather meanwhile).
                    guard inFlight > 0 else { return }
                    await group.next()
                    inFlight -= 1
                    continue
                }
                if inFlight >= max(1, configuration.writers) {
                    await group.next()
                    inFlight -= 1
                }
                group.addTask { await self.writeBatch(items) }
                inFlight += 1
            }
        }
    }

    private var queueDepth: Int { state.withLockedValue { $0.queue.count } }

    /// Time to write and commit one batch (a histogram on `/metrics`).
    static let commitTimer = Metrics.Timer(label: "roost_ingest_commit_seconds")

    private func writeBatch(_ items: [Item]) async {
        let started = ContinuousClock.now
        defer {
            let elapsed = ContinuousClock.now - started
            Self.commitTimer.record(duration: elapsed)
            let ms = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
            logger.debug("ingest batch", metadata: ["messages": "\(items.count)", "ms": "\(ms)"])
        }
        do {
            let ids = try await deviceIDs(for: items)
            let batch = Self.makeBatch(items, ids: ids)
            let result = try await store.write(batch)
            for observer in commitObservers { observer.committed(batch, result: result, devices: ids) }
            stats.committed(
                messages: items.count, inserted: result.inserted, duplicates: result.duplicates,
                deadLetters: batch.deadLetters.count)
            complete(items, with: .success(()))
        } catch {
            // Nothing of the batch is stored: no acknowledgement goes out, so publishers retry.
            logger.error("ingest batch of \(items.count) failed: \(error)")
            stats.failed(items.count)
            complete(items, with: .failure(error))
        }
    }

    /// Counts the items off their commit groups and completes the groups left with none pending
    /// (all of them when the batch failed): one promise per event loop and batch, so the
    /// acknowledgements a connection gets from it leave in one write.
    func complete(_ items: [Item], with result: Result<Void, any Error>) {
        // Groups are few (one per loop, two when a batch was cut): a linear search, no hashing.
        var counts: [(group: CommitGroup, n: Int)] = []
        for item in items {
            guard let group = item.group else { continue }
            if let last = counts.indices.last, counts[last].group === group {
                counts[last].n += 1
            } else if let i = counts.firstIndex(where: { $0.group === group }) {
                counts[i].n += 1
            } else {
                counts.append((group, 1))
            }
        }
        guard !counts.isEmpty else { return }
        let failed: Bool
        if case .failure = result { failed = true } else { failed = false }
        let finished = state.withLockedValue { _ in
            counts.compactMap { entry -> CommitGroup? in
                entry.group.pending -= entry.n
                guard !entry.group.completed, failed || entry.group.pending == 0 else { return nil }
                entry.group.completed = true
                return entry.group
            }
        }
        for group in finished { group.promise.completeWith(result) }
    }

    /// Row ids of the batch's devices, registering devices seen for the first time.
    private func deviceIDs(for items: [Item]) async throws -> [DeviceKey: Int64] {
        var keys: Set<DeviceKey> = []
        for item in items {
            switch item {
            case .telemetry(let key, _, _, _), .status(let key, _, _, _, _, _): keys.insert(key)
            case .dead(let key, _, _, _, _, _): if let key { keys.insert(key) }
            }
        }
        var (known, missing) = state.withLockedValue { s -> ([DeviceKey: Int64], Set<DeviceKey>) in
            var known: [DeviceKey: Int64] = [:]
            var missing: Set<DeviceKey> = []
            for key in keys {
                if let id = s.devices[key] { known[key] = id } else { missing.insert(key) }
            }
            return (known, missing)
        }
        if !missing.isEmpty {
            let created = try await store.resolveDevices(missing, now: clock.nowMilliseconds())
            state.withLockedValue { s in s.devices.merge(created) { $1 } }
            known.merge(created) { $1 }
            missing.subtract(created.keys)
            if !missing.isEmpty { logger.error("devices could not be registered: \(missing)") }
        }
        return known
    }

    /// Turns queued items into rows: telemetry, status events, dead letters and `last_seen`;
    /// the store computes latest values from the rows it inserted (`IngestBatch.latestValues`).
    static func makeBatch(_ items: [Item], ids: [DeviceKey: Int64]) -> IngestBatch {
        var batch = IngestBatch()
        // Per telemetry row (same positions as batch.telemetry): its fields, for latest values.
        var rowFields: [[JSONMember]] = []
        for item in items {
            switch item {
            case .telemetry(let key, let payload, let receivedAt, _):
                guard let device = ids[key] else { continue }
                let ts = payload.deviceTime ?? receivedAt
                batch.telemetry.append(
                    TelemetryRecord(
                        device: device, ts: ts, receivedAt: receivedAt, msgID: payload.msgID,
                        data: payload.data.jsonText,
                        payload: payload.raw.isEmpty ? nil : payload.raw))
                rowFields.append(payload.fields)
                batch.lastSeen[device] = max(batch.lastSeen[device] ?? 0, receivedAt)
            case .status(let key, let online, let reason, let document, let at, _):
                guard let device = ids[key] else { continue }
                batch.statuses.append(
                    StatusRecord(device: device, online: online, at: at, reason: reason, document: document))
                if reason == "status_topic" { batch.lastSeen[device] = max(batch.lastSeen[device] ?? 0, at) }
            case .dead(let key, let topic, let error, let payload, let at, _):
                let device = key.flatMap { ids[$0] }
                batch.deadLetters.append(
                    DeadLetterRecord(
                        device: device, topic: topic, receivedAt: at, reason: error.code, detail: error.description,
                        payload: payload))
                if let device { batch.lastSeen[device] = max(batch.lastSeen[device] ?? 0, at) }
            }
        }
        batch.rowFields = rowFields
        return batch
    }
}
