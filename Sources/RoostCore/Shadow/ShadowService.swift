import Foundation
public import Logging
public import Synchronization
public import RoostJSON
public import RoostStore

/// How shadow deltas reach devices: the broker in this process, or an external one.
public protocol ShadowTransport: Sendable {
    /// Publishes `payload` at QoS 1 on `topic`; false when the broker refused it.
    func publishDelta(topic: String, payload: [UInt8]) -> Bool
}

/// Device shadows (desired and reported state, AWS IoT style). People change `desired`
/// through the API, with optimistic concurrency; devices report on their `shadow/reported`
/// topic. Whenever `desired` changes, and whenever a device subscribes to its delta topic, the
/// delta (desired keys not yet reported) is published to the device. Every change is pushed
/// to realtime sockets.
public final class ShadowService: Sendable {
    let store: any ShadowStore
    let transport: any ShadowTransport
    let layout: TopicLayout
    let bus: any RealtimeBus
    let clock: any EpochClock
    let logger: Logger
    /// The largest desired or reported document, in bytes of compact JSON.
    public let maxDocumentBytes: Int
    /// Reports that were not a JSON object or named an unknown device.
    public let ignoredReports = Atomic<Int>(0)
    /// Changes written (desired or reported).
    public let updates = Atomic<Int>(0)

    public init(
        store: any ShadowStore, transport: any ShadowTransport, layout: TopicLayout, bus: any RealtimeBus,
        maxDocumentBytes: Int = 16 << 10, clock: any EpochClock = SystemEpochClock(),
        logger: Logger = Logger(label: "roost.shadow")
    ) {
        self.store = store
        self.transport = transport
        self.layout = layout
        self.bus = bus
        self.maxDocumentBytes = maxDocumentBytes
        self.clock = clock
        self.logger = logger
    }

    /// The shadow of a device (nil when it never had one).
    public func shadow(of owner: ShadowOwner) async throws -> ShadowRecord? {
        try await store.shadow(device: owner.id)
    }

    /// Merges `patch` into the desired document and publishes the delta. With `ifVersion`, only
    /// if the shadow is still at that version (``ShadowError/versionMismatch(current:)``).
    public func updateDesired(of owner: ShadowOwner, patch: [JSONMember], ifVersion: Int64?) async throws
        -> ShadowRecord
    {
        let record = try await update(owner, .desired, patch: patch, ifVersion: ifVersion)
        publishDelta(record, to: owner)
        return record
    }

    /// A report from the device `key` (the payload of its `shadow/reported` topic): a JSON object,
    /// or AWS IoT's `{"state":{"reported":{…}}}`, merged into `reported`. A bad payload or an
    /// unknown device is logged and counted, never an error for the device.
    public func report(_ payload: some Collection<UInt8>, from key: DeviceKey) async {
        guard case .object(var members) = try? JSONParser.parse(payload) else {
            ignored(key, "the report is not a JSON object")
            return
        }
        if case .object(let state)? = JSONValue.object(members)["state"],
            case .object(let reported)? = JSONValue.object(state)["reported"]
        {
            members = reported
        }
        do {
            guard let id = try await store.deviceID(for: key) else {
                ignored(key, "the device is not registered")
                return
            }
            let owner = ShadowOwner(id: id, tenant: key.tenant, uid: key.uid)
            _ = try await update(owner, .reported, patch: members, ifVersion: nil)
        } catch let error as ShadowError {
            ignored(key, "\(error)")
        } catch {
            logger.warning("recording a shadow report failed: \(error)", metadata: ["device": "\(key)"])
        }
    }

    /// Publishes the current delta to the device `key`, if it has one (it subscribed to its
    /// delta topic, or reconnected with that subscription).
    public func sendDelta(to key: DeviceKey) async {
        do {
            guard let id = try await store.deviceID(for: key), let record = try await store.shadow(device: id) else {
                return
            }
            publishDelta(record, to: ShadowOwner(id: id, tenant: key.tenant, uid: key.uid))
        } catch {
            logger.warning("reading a shadow for its delta failed: \(error)", metadata: ["device": "\(key)"])
        }
    }

    /// The two documents of a shadow.
    enum Section { case desired, reported }

    /// Read, merge `patch` into one document, write if nobody wrote meanwhile; retried on a
    /// lost race unless the caller named the version it expects. An unchanged shadow is
    /// returned as it is.
    private func update(_ owner: ShadowOwner, _ section: Section, patch: [JSONMember], ifVersion: Int64?)
        async throws -> ShadowRecord
    {
        for _ in 0..<16 {
            let current = try await store.shadow(device: owner.id)
            let version = current?.version ?? 0
            if let ifVersion, ifVersion != version { throw ShadowError.versionMismatch(current: version) }
            let now = clock.nowMilliseconds()
            var desired = ShadowDocument.members(current?.desired ?? "{}")
            var reported = ShadowDocument.members(current?.reported ?? "{}")
            let meta = ShadowDocument.members(current?.metadata ?? "{}")
            var desiredMeta = self.section(meta, "desired")
            var reportedMeta = self.section(meta, "reported")
            let changed =
                switch section {
                case .desired: ShadowDocument.merge(patch, into: &desired, metadata: &desiredMeta, at: now)
                case .reported: ShadowDocument.merge(patch, into: &reported, metadata: &reportedMeta, at: now)
                }
            if !changed, let current { return current }
            let record = ShadowRecord(
                deviceID: owner.id, desired: JSONValue.object(desired).jsonText,
                reported: JSONValue.object(reported).jsonText,
                metadata: JSONValue.object([
                    JSONMember("desired", .object(desiredMeta)), JSONMember("reported", .object(reportedMeta)),
                ]).jsonText,
                version: version + 1, updatedAt: now)
            for (name, text) in [("desired", record.desired), ("reported", record.reported)]
            where text.utf8.count > maxDocumentBytes {
                throw ShadowError.tooLarge("the \(name) document would be \(text.utf8.count) bytes (the most is \(maxDocumentBytes))")
            }
            if try await store.saveShadow(record, replacing: version) {
                updates.add(1, ordering: .relaxed)
                if bus.interest.takes(.shadow, device: owner.id, tenant: owner.tenant) {
                    bus.publish([ShadowJSON.event(record, of: owner)])
                }
                return record
            }
        }
        throw ShadowError.busy
    }

    private func section(_ meta: [JSONMember], _ name: String) -> [JSONMember] {
        if case .object(let m)? = meta.first(where: { $0.key == name })?.value { return m }
        return []
    }

    private func publishDelta(_ record: ShadowRecord, to owner: ShadowOwner) {
        let delta = ShadowDocument.delta(
            desired: ShadowDocument.members(record.desired), reported: ShadowDocument.members(record.reported))
        guard !delta.isEmpty else { return }
        let payload = ShadowJSON.deltaPayload(delta, version: record.version)
        for topic in layout.shadowDeltaTopics(tenant: owner.tenant, device: owner.uid)
        where !transport.publishDelta(topic: topic, payload: payload) {
            logger.warning("the broker refused a shadow delta", metadata: ["topic": "\(topic)"])
        }
    }

    private func ignored(_ key: DeviceKey, _ reason: String) {
        ignoredReports.add(1, ordering: .relaxed)
        logger.debug("ignored a shadow report: \(reason)", metadata: ["device": "\(key)"])
    }
}

/// Why a shadow change was refused.
public enum ShadowError: Error, Sendable, Hashable, CustomStringConvertible {
    /// `If-Match` named another version (412).
    case versionMismatch(current: Int64)
    /// A document over the size limit (413).
    case tooLarge(String)
    /// Too many writers raced for one shadow.
    case busy

    public var description: String {
        switch self {
        case .versionMismatch(let current): "the shadow is at version \(current)"
        case .tooLarge(let message): message
        case .busy: "the shadow changed too often to apply this; try again"
        }
    }
}
