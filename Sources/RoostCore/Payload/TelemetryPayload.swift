public import RoostJSON

/// A telemetry message made uniform: the fields the device sent, flattened, with its own id and
/// time when it gave them.
public struct TelemetryPayload: Sendable, Hashable {
    /// The device's message id (`msg_id`), for idempotency.
    public var msgID: String?
    /// Device time in epoch milliseconds (`ts`), when the payload carries one.
    public var deviceTime: Int64?
    /// Every leaf, nested keys joined with dots (`extra.temp`), numeric strings as numbers.
    public var fields: [JSONMember]
    /// The numeric leaves (booleans as 0/1), for aggregates.
    public var numeric: [(key: String, value: Double)]
    /// The payload exactly as the device sent it (valid JSON), kept with the row.
    public var raw: String = ""

    public static func == (lhs: TelemetryPayload, rhs: TelemetryPayload) -> Bool {
        lhs.msgID == rhs.msgID && lhs.deviceTime == rhs.deviceTime && lhs.fields == rhs.fields
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(msgID)
        hasher.combine(deviceTime)
        hasher.combine(fields)
    }

    /// The flattened fields as one JSON object (the API's `data`).
    public var data: JSONValue { .object(fields) }
}

/// Why a payload was not accepted; kept with the message in the dead-letter table.
public enum PayloadError: Error, Sendable, Hashable, CustomStringConvertible {
    case tooLarge(size: Int, limit: Int)
    case notJSON(String)
    case notAnObject
    case noNumericValue(feed: String)
    case noFields

    /// A stable code for logs, metrics and the dead-letter table.
    public var code: String {
        switch self {
        case .tooLarge: "too_large"
        case .notJSON: "not_json"
        case .notAnObject: "not_object"
        case .noNumericValue: "no_numeric_value"
        case .noFields: "no_fields"
        }
    }

    public var description: String {
        switch self {
        case .tooLarge(let size, let limit): "payload of \(size) bytes is over the limit of \(limit)"
        case .notJSON(let why): "payload is not JSON: \(why)"
        case .notAnObject: "payload is not a JSON object"
        case .noNumericValue(let feed): "feed \(feed) payload has no numeric value"
        case .noFields: "payload has no data fields"
        }
    }
}

/// Turns the payload shapes devices send into a ``TelemetryPayload``:
///
/// - `{"msg_id"?, "ts"?, "data": {…}}` (seed 000): fields from `data`;
/// - a flat object `{"temp": 21.5, "extra": {"hum": 40}}` (seed 001): every member but
///   `msg_id` and `ts`;
/// - on a `{feed}` topic, `{"value": "25.5"}` or a bare number (seed 002): `{feed: 25.5}`.
public enum PayloadNormalizer {
    /// Payloads above this many bytes are refused by default.
    public static let defaultLimit = 64 * 1024

    /// Normalises a telemetry payload; `feed` is the `{feed}` of the topic, if any.
    public static func telemetry(_ bytes: some Collection<UInt8>, feed: String? = nil, limit: Int = defaultLimit)
        throws(PayloadError)
        -> TelemetryPayload
    {
        guard bytes.count <= limit else { throw .tooLarge(size: bytes.count, limit: limit) }
        let json: JSONValue
        do {
            json = try JSONParser.parse(bytes)
        } catch {
            throw .notJSON(error.description)
        }
        var payload = try normalize(json, feed: feed)
        // Contiguous bytes take String's fast path (a generic collection is walked byte by byte).
        payload.raw =
            bytes.withContiguousStorageIfAvailable { String(decoding: $0, as: UTF8.self) }
            ?? String(decoding: bytes, as: UTF8.self)
        return payload
    }

    /// Normalises a payload already parsed into `json`; `raw` is its text as sent (kept with
    /// the row). For callers that parse a document once and normalise its parts.
    public static func telemetry(json: JSONValue, raw: String, feed: String? = nil) throws(PayloadError)
        -> TelemetryPayload
    {
        var payload = try normalize(json, feed: feed)
        payload.raw = raw
        return payload
    }

    private static func normalize(_ json: JSONValue, feed: String?) throws(PayloadError) -> TelemetryPayload {
        if let feed { return try feedPayload(json, feed: feed) }
        guard case .object(let members) = json else { throw .notAnObject }
        var payload = TelemetryPayload(msgID: nil, deviceTime: nil, fields: [], numeric: [])
        var dataMembers: [JSONMember]?
        for member in members {
            switch member.key {
            case "msg_id": payload.msgID = idString(member.value)
            case "ts": payload.deviceTime = Timestamp.epochMilliseconds(member.value)
            case "data": if case .object(let inner) = member.value { dataMembers = inner }
            default: break
            }
        }
        // The fields are those of `data` when it is an object, else the other top-level members.
        // Sized once (grown field by field they reallocated several times per message).
        let count = dataMembers?.count ?? members.count
        payload.fields.reserveCapacity(count)
        payload.numeric.reserveCapacity(count)
        if let dataMembers {
            flatten(dataMembers, prefix: "", into: &payload)
        } else {
            flatten(members, prefix: "", skippingEnvelope: true, into: &payload)
        }
        guard !payload.fields.isEmpty else { throw .noFields }
        return payload
    }

    private static func feedPayload(_ json: JSONValue, feed: String) throws(PayloadError) -> TelemetryPayload {
        var payload = TelemetryPayload(msgID: nil, deviceTime: nil, fields: [], numeric: [])
        let value: JSONValue?
        switch json {
        case .object:
            value = json["value"]
            payload.msgID = json["msg_id"].flatMap(idString)
            payload.deviceTime = json["ts"].flatMap(Timestamp.epochMilliseconds)
        case .number, .string: value = json
        default: value = nil
        }
        guard let number = value?.numberValue else { throw .noNumericValue(feed: feed) }
        payload.fields = [JSONMember(feed, .number(number))]
        payload.numeric = [(feed, number)]
        return payload
    }

    private static func idString(_ value: JSONValue) -> String? {
        switch value {
        case .string(let s) where !s.isEmpty: s
        case .number(let n): JSONValue.format(n)
        default: nil
        }
    }

    /// Flattens nested objects into dotted keys; arrays are kept whole as values.
    /// Adds `members` (nested objects as `prefix.key`) to the payload's fields; with
    /// `skippingEnvelope`, leaves out `msg_id` and `ts`.
    static func flatten(
        _ members: [JSONMember], prefix: String, skippingEnvelope: Bool = false, into payload: inout TelemetryPayload
    ) {
        for member in members {
            if skippingEnvelope && (member.key == "msg_id" || member.key == "ts") { continue }
            let key = prefix.isEmpty ? member.key : prefix + "." + member.key
            switch member.value {
            case .object(let inner):
                flatten(inner, prefix: key, into: &payload)
            case .number(let n):
                payload.fields.append(JSONMember(key, .number(n)))
                payload.numeric.append((key, n))
            case .bool(let b):
                payload.fields.append(JSONMember(key, .bool(b)))
                payload.numeric.append((key, b ? 1 : 0))
            case .string(let s):
                if let n = member.value.numberValue {
                    payload.fields.append(JSONMember(key, .number(n)))
                    payload.numeric.append((key, n))
                } else {
                    payload.fields.append(JSONMember(key, .string(s)))
                }
            case .null, .array:
                payload.fields.append(JSONMember(key, member.value))
            }
        }
    }
}
