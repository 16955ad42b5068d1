import HTTPTypes
import Hummingbird
import NIOCore
import RoostJSON
import RoostStore

extension TelemetryRoutes {
    /// `GET /devices/{ref}/export?format=csv|ndjson&from&to&keys`: oldest first, read and
    /// written 2,000 rows at a time, so no whole result is held in memory.
    func export(_ request: Request, _ context: RoostRequestContext) async throws -> Response {
        let device = try await devices.resolve(request, context, try context.require(.viewer))
        let query = Query(request: request)
        let format = query.string("format") ?? "ndjson"
        guard format == "csv" || format == "ndjson" else {
            throw APIError.badRequest("format must be csv or ndjson", field: "format")
        }
        let keys = try Self.keys(query, required: false)
        let base = HistoryQuery(
            device: device.id, from: try query.time("from"), to: try query.time("to"), limit: 2000, ascending: true)
        let store = api.store
        let contentType = format == "csv" ? "text/csv; charset=utf-8" : "application/x-ndjson"
        let filename = "\(device.uid).\(format)".replacingOccurrences(of: "\"", with: "")
        let body = ResponseBody { writer in
            var q = base
            var out = ByteBuffer()
            if format == "csv" {
                out.writeString(
                    "ts,received_at,msg_id," + (keys.map { $0.map(Self.csvField).joined(separator: ",") } ?? "data")
                        + "\n")
            }
            while true {
                let page = try await store.history(q)
                for p in page {
                    if format == "csv" { Self.csvRow(p, keys, into: &out) } else { Self.ndjsonRow(p, keys, into: &out) }
                }
                try await writer.write(out)
                out.clear()
                guard page.count == q.limit, let last = page.last else { break }
                (q.afterTS, q.afterID) = (last.ts, last.id)
            }
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: contentType, .contentDisposition: "attachment; filename=\"\(filename)\""],
            body: body)
    }

    static func ndjsonRow(_ p: TelemetryPoint, _ keys: [String]?, into out: inout ByteBuffer) {
        out.writeStaticString("{\"ts\":\"")
        APITime.write(p.ts, to: &out)
        out.writeStaticString("\",\"received_at\":\"")
        APITime.write(p.receivedAt, to: &out)
        out.writeStaticString("\",\"msg_id\":")
        out.writeString(p.msgID.map { JSONValue.string($0).jsonText } ?? "null")
        out.writeStaticString(",\"data\":")
        out.writeString(keys.map { project(p.data, $0).jsonText } ?? p.data)
        out.writeStaticString("}\n")
    }

    static func csvRow(_ p: TelemetryPoint, _ keys: [String]?, into out: inout ByteBuffer) {
        APITime.write(p.ts, to: &out)
        out.writeStaticString(",")
        APITime.write(p.receivedAt, to: &out)
        out.writeStaticString(",")
        out.writeString(csvField(p.msgID ?? ""))
        if let keys {
            let data = JSONValue.stored(p.data)
            for key in keys {
                out.writeStaticString(",")
                switch data[key] {
                case .number(let n)?: out.writeString(JSONValue.number(n).jsonText)
                case .string(let s)?: out.writeString(csvField(s))
                case .bool(let b)?: out.writeString(b ? "true" : "false")
                case nil, .null?: break
                case let other?: out.writeString(csvField(other.jsonText))
                }
            }
        } else {
            out.writeStaticString(",")
            out.writeString(csvField(p.data))
        }
        out.writeStaticString("\n")
    }

    /// RFC 4180 quoting; a leading `=`, `+`, `-`, `@` is prefixed with `'` so spreadsheets do
    /// not run it as a formula.
    static func csvField(_ s: String) -> String {
        var text = s
        if let first = text.first, "=+-@".contains(first), Double(text) == nil { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
