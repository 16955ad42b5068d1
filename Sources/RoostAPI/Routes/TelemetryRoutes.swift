import HTTPTypes
import Hummingbird
import NIOCore
import RoostCore
import RoostJSON
import RoostStore

/// A device's stored data: history pages, latest values, aggregates, streamed export, status
/// events and dead letters.
struct TelemetryRoutes {
    let api: RoostAPI
    var devices: DeviceRoutes { DeviceRoutes(api: api) }
    static let day: Int64 = 86_400_000

    func register(on group: APIGroup) {
        group.get("/devices/{ref}/telemetry") { request, context in try await history(request, context) }
        group.get("/devices/{ref}/telemetry/latest") { request, context in
            let device = try await devices.resolve(request, context, try context.require(.viewer))
            return Response.json(
                .object([JSONMember("ts", .time(device.latestTS)), JSONMember("data", .stored(device.latest))]))
        }
        group.get("/devices/{ref}/aggregate") { request, context in try await aggregate(request, context) }
        group.get("/devices/{ref}/export") { request, context in try await export(request, context) }
        group.get("/devices/{ref}/events") { request, context in
            let device = try await devices.resolve(request, context, try context.require(.viewer))
            let limit = try Query(request: request).int("limit", default: 100, range: 1...1000)
            let events = try await api.store.statusEvents(device: device.id, limit: limit)
            return Response.json(.object([JSONMember("items", .array(events.map(Views.statusEvent)))]))
        }
        group.get("/devices/{ref}/dead-letters") { request, context in
            let device = try await devices.resolve(request, context, try context.require(.viewer))
            let limit = try Query(request: request).int("limit", default: 100, range: 1...1000)
            let letters = try await api.store.deadLetters(device: device.id, limit: limit)
            return Response.json(.object([JSONMember("items", .array(letters.map(Views.deadLetter)))]))
        }
    }

    /// `keys=a,b` (flattened names).
    static func keys(_ query: Query, required: Bool) throws -> [String]? {
        guard let text = query.string("keys") else {
            if required { throw APIError.badRequest("keys is required (comma-separated field names)", field: "keys") }
            return nil
        }
        var keys: [String] = []
        for key in text.split(separator: ",").map({ String($0).trimmingCharacters(in: .whitespaces) })
        where !key.isEmpty && !keys.contains(key) {
            keys.append(key)
        }
        guard !keys.isEmpty, keys.count <= 32,
            keys.allSatisfy({ $0.utf8.count <= 128 && !$0.contains("\"") && !$0.contains("\\") })
        else {
            throw APIError.badRequest("keys must be 1 to 32 field names without quotes or backslashes", field: "keys")
        }
        return keys
    }

    /// A JSON string literal; plain text (the usual msg_id) is copied as is.
    static func writeJSONString(_ s: String, to out: inout ByteBuffer) {
        if s.utf8.allSatisfy({ $0 >= 0x20 && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") && $0 < 0x7F }) {
            out.writeInteger(UInt8(ascii: "\""))
            out.writeString(s)
            out.writeInteger(UInt8(ascii: "\""))
        } else {
            out.writeString(JSONValue.string(s).jsonText)
        }
    }

    static func project(_ data: String, _ keys: [String]) -> JSONValue {
        guard case .object(let members) = JSONValue.stored(data) else { return .object([]) }
        return .object(members.filter { keys.contains($0.key) })
    }

    /// `30s`, `1m`, `5m`, `1h`, `1d`, or milliseconds.
    static func bucket(_ text: String?) throws -> Int64 {
        guard let text else { return 60_000 }
        let units: [Character: Int64] = ["s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000]
        if let unit = text.last, let scale = units[unit], let n = Int64(text.dropLast()), n > 0 {
            let (ms, overflow) = n.multipliedReportingOverflow(by: scale)
            if !overflow { return ms }
        } else if let ms = Int64(text), ms >= 1000 {
            return ms
        }
        throw APIError.badRequest(
            "bucket must look like 30s, 1m, 1h, 1d, or be milliseconds (at least 1000)", field: "bucket")
    }

    private func aggregate(_ request: Request, _ context: RoostRequestContext) async throws -> Response {
        let device = try await devices.resolve(request, context, try context.require(.viewer))
        let query = Query(request: request)
        let keys = try Self.keys(query, required: true)!
        let to = try query.time("to") ?? AuthRoutes.now()
        let from = try query.time("from") ?? (to - Self.day)
        guard from < to else { throw APIError.badRequest("from must be before to", field: "from") }
        let bucket = try Self.bucket(query.string("bucket"))
        guard (to - from) / bucket <= 100_000 else {
            throw APIError.badRequest("more than 100,000 buckets; use a larger bucket", field: "bucket")
        }
        var functions: [AggregateFunction] = [.avg, .min, .max, .count]
        if let text = query.string("fn") {
            functions = []
            for name in text.split(separator: ",") {
                guard let f = AggregateFunction(rawValue: String(name)) else {
                    throw APIError.badRequest(
                        "fn must be among \(AggregateFunction.allCases.map(\.rawValue).joined(separator: ","))",
                        field: "fn")
                }
                if !functions.contains(f) { functions.append(f) }
            }
        }
        let q = AggregateQuery(device: device.id, keys: keys, from: from, to: to, bucket: bucket, functions: functions)
        let table = try await AggregatePlanner(store: api.store).aggregate(q)
        return Response.json(AggregateResponse(device: device.id, query: q).body(table))
    }
}
