/// One schema change of a store: applied once, in order, never edited afterwards.
public struct SchemaMigration: Sendable {
    public let version: Int
    public let name: String
    public let statements: [String]

    public init(version: Int, name: String, statements: [String]) {
        self.version = version
        self.name = name
        self.statements = statements
    }
}

/// A device as topics name it: the tenant's name and the device uid within it.
public struct DeviceKey: Sendable, Hashable, CustomStringConvertible {
    public var tenant: String
    public var uid: String

    public init(tenant: String, uid: String) {
        self.tenant = tenant
        self.uid = uid
    }

    public var description: String { "\(tenant)/\(uid)" }
}

/// One telemetry message, ready to store.
public struct TelemetryRecord: Sendable, Hashable {
    /// The device's row id.
    public var device: Int64
    /// Device time if it sent one, else receive time; epoch milliseconds.
    public var ts: Int64
    /// Server receive time, epoch milliseconds.
    public var receivedAt: Int64
    /// The device's message id; a second message with the same id is not stored again.
    public var msgID: String?
    /// The flattened leaves as one JSON object (`{"temp":21.5,"extra.hum":40}`); numeric
    /// strings are numbers here, so aggregates read any numeric key straight from it.
    public var data: String
    /// The payload as the device sent it, when it was JSON (HTTP and MQTT ingest keep it).
    public var payload: String?

    public init(device: Int64, ts: Int64, receivedAt: Int64, msgID: String?, data: String, payload: String? = nil) {
        self.device = device
        self.ts = ts
        self.receivedAt = receivedAt
        self.msgID = msgID
        self.data = data
        self.payload = payload
    }
}

/// A device going online or offline, or reporting a new status document.
public struct StatusRecord: Sendable, Hashable {
    public var device: Int64
    public var online: Bool
    /// Epoch milliseconds.
    public var at: Int64
    /// Why: `connect`, `disconnect`, `keepalive`, `will`, `status_topic`, …
    public var reason: String
    /// The status payload as JSON, when it came from a status topic.
    public var document: String?

    public init(device: Int64, online: Bool, at: Int64, reason: String, document: String? = nil) {
        self.device = device
        self.online = online
        self.at = at
        self.reason = reason
        self.document = document
    }
}

/// A message that could not be used, kept for inspection.
public struct DeadLetterRecord: Sendable, Hashable {
    public var device: Int64?
    public var topic: String
    public var receivedAt: Int64
    /// A stable code (`not_json`, `not_object`, `too_large`, …).
    public var reason: String
    public var detail: String
    public var payload: [UInt8]

    public init(device: Int64?, topic: String, receivedAt: Int64, reason: String, detail: String, payload: [UInt8]) {
        self.device = device
        self.topic = topic
        self.receivedAt = receivedAt
        self.reason = reason
        self.detail = detail
        self.payload = payload
    }
}

/// Everything one group commit writes, in one transaction.
public struct IngestBatch: Sendable {
    public var telemetry: [TelemetryRecord] = []
    public var statuses: [StatusRecord] = []
    public var deadLetters: [DeadLetterRecord] = []
    /// Latest values per device: the newest fields of this batch, merged into the stored ones.
    public var latest: [Int64: LatestValues] = [:]
    /// Latest values computed from the telemetry rows that were actually inserted (positions in
    /// `telemetry`), so that duplicates change nothing; called inside the transaction, once the
    /// store knows which rows were new. Added to `latest`.
    public var latestFromInserted: (@Sendable (Set<Int>) -> [Int64: LatestValues])?
    /// Newest message time per device (`last_seen`).
    public var lastSeen: [Int64: Int64] = [:]

    public init() {}

    public var isEmpty: Bool { telemetry.isEmpty && statuses.isEmpty && deadLetters.isEmpty && lastSeen.isEmpty }

    /// The telemetry rows grouped by device, arrival order kept within a device. Stores write
    /// them in this order: a device's rows of one batch land side by side in the table (a
    /// history page then reads a few pages, not one per point) and index inserts walk each
    /// index in order.
    public var telemetryByDevice: [TelemetryRecord] { deviceOrder.map { telemetry[$0] } }

    /// Positions in `telemetry` in the order of ``telemetryByDevice``.
    public var deviceOrder: [Int] {
        telemetry.indices.sorted { a, b in
            telemetry[a].device != telemetry[b].device ? telemetry[a].device < telemetry[b].device : a < b
        }
    }

    /// Positions in `telemetry` of the rows a store inserted, given the (device, msg_id) pairs it
    /// reports as inserted: rows without msg_id always are; of repeats, the first.
    public func insertedPositions(_ insertedIDs: Set<DeviceMessageID>) -> Set<Int> {
        var positions: Set<Int> = []
        var taken: Set<DeviceMessageID> = []
        for (index, row) in telemetry.enumerated() {
            guard let msg = row.msgID else {
                positions.insert(index)
                continue
            }
            let id = DeviceMessageID(device: row.device, msgID: msg)
            if insertedIDs.contains(id) && taken.insert(id).inserted { positions.insert(index) }
        }
        return positions
    }
}

/// The newest value of each key of a device, with the time of the newest message.
public struct LatestValues: Sendable, Hashable {
    /// Epoch milliseconds of the newest telemetry.
    public var ts: Int64
    /// A JSON object of the newest value of each key.
    public var data: String

    public init(ts: Int64, data: String) {
        self.ts = ts
        self.data = data
    }
}

/// What a group commit did.
public struct IngestResult: Sendable, Hashable {
    /// Telemetry rows stored.
    public var inserted: Int
    /// Telemetry rows skipped as duplicates (same device and msg_id).
    public var duplicates: Int

    public init(inserted: Int, duplicates: Int) {
        self.inserted = inserted
        self.duplicates = duplicates
    }
}

/// A device's message id, the idempotency key of telemetry.
public struct DeviceMessageID: Sendable, Hashable {
    public var device: Int64
    public var msgID: String

    public init(device: Int64, msgID: String) {
        self.device = device
        self.msgID = msgID
    }
}

/// The storage side of ingest: device registration on first sight and group commits.
/// Implemented by SQLite and PostgreSQL; both pass the same conformance tests.
public protocol IngestStore: Sendable {
    /// Row ids of these devices, creating tenants and devices not seen before.
    func resolveDevices(_ keys: Set<DeviceKey>, now: Int64) async throws -> [DeviceKey: Int64]
    /// Which of these message ids are already stored (to skip duplicates before they touch
    /// latest values; the write itself also ignores them).
    func existingMessageIDs(_ ids: [DeviceMessageID]) async throws -> Set<DeviceMessageID>
    /// Writes a batch in one transaction: all of it is durable when this returns, or none.
    func write(_ batch: IngestBatch) async throws -> IngestResult
}
