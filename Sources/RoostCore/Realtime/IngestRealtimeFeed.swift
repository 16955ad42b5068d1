import RoostJSON
public import RoostStore

/// Turns committed ingest batches into realtime events: a `telemetry` event per new row (not
/// duplicates), a `status` event per status change, in the batch's order.
public struct IngestRealtimeFeed: IngestCommitObserver {
    let bus: any RealtimeBus

    public init(bus: any RealtimeBus) { self.bus = bus }

    public func committed(_ batch: IngestBatch, result: IngestResult, devices ids: [DeviceKey: Int64]) {
        // Only what someone watches is rendered: with no socket open this costs one lock.
        let interest = bus.interest
        guard !interest.isEmpty else { return }
        var devices: [Int64: DeviceKey] = [:]
        devices.reserveCapacity(ids.count)
        for (key, id) in ids { devices[id] = key }
        var events: [RealtimeEvent] = []
        var times = RFC3339Formatter()
        for status in batch.statuses {
            guard let key = devices[status.device], interest.takes(.status, device: status.device, tenant: key.tenant)
            else { continue }
            events.append(Self.status(status, key, &times))
        }
        for index in batch.telemetry.indices where result.insertedPositions.contains(index) {
            let row = batch.telemetry[index]
            guard let key = devices[row.device], interest.takes(.telemetry, device: row.device, tenant: key.tenant)
            else { continue }
            events.append(Self.telemetry(row, key, &times))
        }
        bus.publish(events)
    }

    /// `{"type":"telemetry","device","uid","tenant","ts","received_at","msg_id","data"}`.
    public static func telemetry(_ row: TelemetryRecord, _ key: DeviceKey, _ times: inout RFC3339Formatter)
        -> RealtimeEvent
    {
        var json = head("telemetry", row.device, key)
        json += ",\"ts\":\"" + times.string(row.ts) + "\",\"received_at\":\"" + times.string(row.receivedAt)
        json += "\",\"msg_id\":"
        json += row.msgID.map { JSONValue.string($0).jsonText } ?? "null"
        json += ",\"data\":"
        json += row.data
        json += "}"
        return RealtimeEvent(kind: .telemetry, tenant: key.tenant, device: row.device, json: json)
    }

    /// `{"type":"status","device","uid","tenant","status","reason","at"}`.
    public static func status(_ status: StatusRecord, _ key: DeviceKey, _ times: inout RFC3339Formatter)
        -> RealtimeEvent
    {
        var json = head("status", status.device, key)
        json += ",\"status\":\"" + (status.online ? "online" : "offline") + "\",\"reason\":"
        json += JSONValue.string(status.reason).jsonText
        json += ",\"at\":\"" + times.string(status.at) + "\"}"
        return RealtimeEvent(kind: .status, tenant: key.tenant, device: status.device, json: json)
    }

    /// The start every event shares: type and the device it concerns.
    public static func head(_ type: String, _ device: Int64, _ key: DeviceKey) -> String {
        "{\"type\":\"\(type)\",\"device\":\(device),\"uid\":" + JSONValue.string(key.uid).jsonText + ",\"tenant\":"
            + JSONValue.string(key.tenant).jsonText
    }
}
