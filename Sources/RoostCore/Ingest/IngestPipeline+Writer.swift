import Logging
import MQTTBroker
import NIOCore
import RoostStore
import ServiceLifecycle

extension IngestPipeline {
    /// The writer: takes what has gathered (at most `batchSize`), writes it in one transaction,
    /// then completes the held acknowledgements. On graceful shutdown it stops taking new
    /// messages and writes what is queued before returning.
    public func run() async throws {
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

    private func drain() async {
        while true {
            if configuration.flushInterval > 0 && queueDepth < configuration.batchSize {
                try? await Task.sleep(for: .milliseconds(Int64(configuration.flushInterval * 1000)))
            }
            let items = state.withLockedValue { s -> [Item] in
                let n = min(s.queue.count, configuration.batchSize)
                defer { s.queue.removeFirst(n) }
                return Array(s.queue.prefix(n))
            }
            if items.isEmpty { return }
            await writeBatch(items)
        }
    }

    private var queueDepth: Int { state.withLockedValue { $0.queue.count } }

    private func writeBatch(_ items: [Item]) async {
        let started = ContinuousClock.now
        defer {
            logger.debug("ingest batch", metadata: ["messages": "\(items.count)", "ms": "\((ContinuousClock.now - started).components.attoseconds / 1_000_000_000_000_000)"])
        }
        do {
            let ids = try await deviceIDs(for: items)
            let duplicates = try await duplicateIndexes(items, ids: ids)
            let batch = Self.makeBatch(items, ids: ids, skipping: duplicates)
            let result = try await store.write(batch)
            stats.committed(
                messages: items.count, inserted: result.inserted, duplicates: result.duplicates + duplicates.count,
                deadLetters: batch.deadLetters.count)
            for item in items { item.promise?.succeed(()) }
        } catch {
            // Nothing of the batch is stored: no acknowledgement goes out, so publishers retry.
            logger.error("ingest batch of \(items.count) failed: \(error)")
            stats.failed(items.count)
            for item in items { item.promise?.fail(error) }
        }
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
            let created = try await store.resolveDevices(missing, now: Self.nowMilliseconds())
            state.withLockedValue { s in s.devices.merge(created) { $1 } }
            known.merge(created) { $1 }
            missing.subtract(created.keys)
            if !missing.isEmpty { logger.error("devices could not be registered: \(missing)") }
        }
        return known
    }

    /// Positions of telemetry items whose msg_id is already stored or came earlier in the batch:
    /// they are acknowledged but change nothing (not even latest values).
    private func duplicateIndexes(_ items: [Item], ids: [DeviceKey: Int64]) async throws -> Set<Int> {
        var candidates: [(Int, DeviceMessageID)] = []
        for (index, item) in items.enumerated() {
            if case .telemetry(let key, let payload, _, _) = item, let msgID = payload.msgID, let device = ids[key] {
                candidates.append((index, DeviceMessageID(device: device, msgID: msgID)))
            }
        }
        guard !candidates.isEmpty else { return [] }
        let stored = try await store.existingMessageIDs(candidates.map(\.1))
        var seen: Set<DeviceMessageID> = []
        var duplicates: Set<Int> = []
        for (index, id) in candidates where stored.contains(id) || !seen.insert(id).inserted {
            duplicates.insert(index)
        }
        return duplicates
    }

    /// Turns queued items into rows: telemetry, status events, dead letters, the newest values
    /// per device and `last_seen`.
    static func makeBatch(_ items: [Item], ids: [DeviceKey: Int64], skipping duplicates: Set<Int> = []) -> IngestBatch {
        var batch = IngestBatch()
        var latest: [Int64: (ts: Int64, fields: [String: JSONValue], order: [String])] = [:]
        for (index, item) in items.enumerated() {
            switch item {
            case .telemetry(let key, let payload, let receivedAt, _):
                guard let device = ids[key] else { continue }
                if duplicates.contains(index) { continue }
                let ts = payload.deviceTime ?? receivedAt
                batch.telemetry.append(
                    TelemetryRecord(device: device, ts: ts, receivedAt: receivedAt, msgID: payload.msgID, data: payload.data.jsonText))
                batch.lastSeen[device] = max(batch.lastSeen[device] ?? 0, receivedAt)
                var entry = latest[device] ?? (ts: ts, fields: [:], order: [])
                if ts >= entry.ts || entry.fields.isEmpty {
                    entry.ts = max(entry.ts, ts)
                    for field in payload.fields {
                        if entry.fields.updateValue(field.value, forKey: field.key) == nil { entry.order.append(field.key) }
                    }
                }
                latest[device] = entry
            case .status(let key, let online, let reason, let document, let at, _):
                guard let device = ids[key] else { continue }
                batch.statuses.append(StatusRecord(device: device, online: online, at: at, reason: reason, document: document))
                if reason == "status_topic" { batch.lastSeen[device] = max(batch.lastSeen[device] ?? 0, at) }
            case .dead(let key, let topic, let error, let payload, let at, _):
                let device = key.flatMap { ids[$0] }
                batch.deadLetters.append(
                    DeadLetterRecord(device: device, topic: topic, receivedAt: at, reason: error.code,
                                     detail: error.description, payload: payload))
                if let device { batch.lastSeen[device] = max(batch.lastSeen[device] ?? 0, at) }
            }
        }
        for (device, entry) in latest {
            let object = JSONValue.object(entry.order.map { JSONMember($0, entry.fields[$0]!) })
            batch.latest[device] = LatestValues(ts: entry.ts, data: object.jsonText)
        }
        return batch
    }
}
