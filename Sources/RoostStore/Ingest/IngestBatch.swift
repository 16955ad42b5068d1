public import RoostJSON

/// Everything one group commit writes, in one transaction.
public struct IngestBatch: Sendable {
    public var telemetry: [TelemetryRecord] = []
    public var statuses: [StatusRecord] = []
    public var deadLetters: [DeadLetterRecord] = []
    /// Latest values per device: the newest fields of this batch, merged into the stored ones.
    public var latest: [Int64: LatestValues] = [:]
    /// The flattened fields of each telemetry row (same positions as `telemetry`), from which
    /// ``latestValues(inserted:)`` computes the latest values of the rows a store inserted.
    public var rowFields: [[JSONMember]] = []
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

    /// The newest value of each key per device, from the rows at `inserted` (positions in
    /// `telemetry`, as the store reports them inside its transaction), so that duplicates
    /// change nothing; a row older than the newest one seen for its device does not override
    /// it. Stores merge this into ``latest`` before writing latest values.
    public func latestValues(inserted: Set<Int>) -> [Int64: LatestValues] {
        var latest: [Int64: (ts: Int64, values: [String: JSONValue], order: [String])] = [:]
        for index in telemetry.indices where inserted.contains(index) && index < rowFields.count {
            let row = telemetry[index]
            var entry = latest[row.device] ?? (ts: row.ts, values: [:], order: [])
            if row.ts >= entry.ts || entry.values.isEmpty {
                entry.ts = max(entry.ts, row.ts)
                for field in rowFields[index] where entry.values.updateValue(field.value, forKey: field.key) == nil {
                    entry.order.append(field.key)
                }
            }
            latest[row.device] = entry
        }
        return latest.mapValues { entry in
            LatestValues(
                ts: entry.ts, data: JSONValue.object(entry.order.map { JSONMember($0, entry.values[$0]!) }).jsonText)
        }
    }
}
