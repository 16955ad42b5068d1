import NIOCore
import PostgresNIO
public import RoostStore

extension PostgresAPIStore {
    public func history(_ q: HistoryQuery) async throws -> [TelemetryPoint] {
        try await historyPage(q).points
    }

    public func historyPage(_ q: HistoryQuery) async throws -> HistoryPage {
        let afterTS = q.afterTS ?? (q.ascending ? .min : .max)
        let afterID = q.afterID ?? (q.ascending ? .min : .max)
        let from = q.from ?? .min
        let to = q.to ?? .max
        let payload = q.includePayload ? "payload" : "NULL::text"
        let (order, after) = q.ascending ? ("ts, id", ">") : ("ts DESC, id DESC", "<")
        // Keyset paging on (ts, id); the (device_id, ts) index serves the order. The page comes
        // back as one bytea (see Packed): decoding a thousand rows of six columns through
        // PostgresNIO costs more than the query. The aggregate takes no ORDER BY (PostgreSQL
        // would sort the packed rows again); the page is put in order here.
        let query: PostgresQuery = """
            SELECT string_agg(
                int8send(id) || int8send(ts) || int8send(received_at) || \(unescaped: Packed.text("msg_id"))
                || \(unescaped: Packed.text("data")) || \(unescaped: Packed.text("payload")), ''::bytea)
            FROM (
                SELECT id, ts, received_at, msg_id, data::text AS data, \(unescaped: payload) AS payload FROM telemetry
                WHERE device_id = \(q.device) AND ts >= \(from) AND ts < \(to)
                AND (ts, id) \(unescaped: after) (\(afterTS), \(afterID))
                ORDER BY \(unescaped: order) LIMIT \(q.limit)
            ) page
            """
        var page = HistoryPage(capacity: min(q.limit, 1_000))
        for try await packed in try await client.query(query, logger: logger).decode(ByteBuffer?.self) {
            guard var packed else { continue }
            while packed.readableBytes > 0 {
                guard let id = packed.readInteger(as: Int64.self), let ts = packed.readInteger(as: Int64.self),
                    let received = packed.readInteger(as: Int64.self), let msgID = Packed.read(&packed, into: &page),
                    let data = Packed.read(&packed, into: &page), let raw = Packed.read(&packed, into: &page)
                else { throw PostgresStoreError.malformedAnswer("history page") }
                let dataRange = data ?? page.add("{}")
                page.append(id: id, ts: ts, receivedAt: received, msgID: msgID, data: dataRange, payload: raw)
            }
        }
        page.sort(descending: !q.ascending)
        return page
    }

    public func aggregate(_ q: AggregateQuery) async throws -> [AggregateBucket] {
        guard !q.keys.isEmpty, q.bucket > 0 else { return [] }
        var sql = PostgresQuery.StringInterpolation(literalCapacity: 512, interpolationCount: q.keys.count * 3 + 6)
        // Buckets start at multiples of the bucket size (epoch-aligned); buckets without a value
        // of any key are left out (AggregatePlanner does the same from rollups).
        sql.appendLiteral("SELECT ts - (((ts % ")
        sql.appendInterpolation(q.bucket)
        sql.appendLiteral(") + ")
        sql.appendInterpolation(q.bucket)
        sql.appendLiteral(") % ")
        sql.appendInterpolation(q.bucket)
        sql.appendLiteral(") AS b")
        for i in q.keys.indices {
            for f in q.functions {
                switch f {
                case .first:
                    sql.appendLiteral(", (array_agg(v\(i) ORDER BY ts, id) FILTER (WHERE v\(i) IS NOT NULL))[1]")
                case .last:
                    sql.appendLiteral(
                        ", (array_agg(v\(i) ORDER BY ts DESC, id DESC) FILTER (WHERE v\(i) IS NOT NULL))[1]")
                default: sql.appendLiteral(", \(f.rawValue)(v\(i))::float8")
                }
            }
        }
        // The subquery is kept (OFFSET 0): pulled up, PostgreSQL would evaluate the extraction
        // once per aggregate instead of once per row.
        sql.appendLiteral(" FROM (SELECT ts, id")
        // Only JSON numbers and booleans (as 0/1) count.
        for (i, key) in q.keys.enumerated() {
            sql.appendLiteral(", CASE jsonb_typeof(data -> ")
            sql.appendInterpolation(key)
            sql.appendLiteral(") WHEN 'number' THEN (data ->> ")
            sql.appendInterpolation(key)
            sql.appendLiteral(")::float8 WHEN 'boolean' THEN (data ->> ")
            sql.appendInterpolation(key)
            sql.appendLiteral(")::boolean::int::float8 END AS v\(i)")
        }
        sql.appendLiteral(" FROM telemetry WHERE device_id = ")
        sql.appendInterpolation(q.device)
        sql.appendLiteral(" AND ts >= ")
        sql.appendInterpolation(q.from)
        sql.appendLiteral(" AND ts < ")
        sql.appendInterpolation(q.to)
        sql.appendLiteral(" OFFSET 0) s GROUP BY b HAVING ")
        sql.appendLiteral(q.keys.indices.map { "count(v\($0))" }.joined(separator: " + "))
        sql.appendLiteral(" > 0 ORDER BY b")
        var buckets: [AggregateBucket] = []
        for try await row in try await client.query(PostgresQuery(stringInterpolation: sql), logger: logger) {
            let cells = row.makeRandomAccess()
            let b = try cells[0].decode(Int64.self)
            var values: [String: [AggregateFunction: Double]] = [:]
            var column = 1
            for key in q.keys {
                var perKey: [AggregateFunction: Double] = [:]
                for f in q.functions {
                    if let v = try cells[column].decode(Double?.self) { perKey[f] = v }
                    column += 1
                }
                values[key] = perKey
            }
            buckets.append(AggregateBucket(start: b, values: values))
        }
        return buckets
    }

    public func statusEvents(device: Int64, limit: Int) async throws -> [StatusEvent] {
        var events: [StatusEvent] = []
        let rows = try await client.query(
            """
            SELECT id, online, at, reason, document::text FROM status_events WHERE device_id = \(device)
            ORDER BY at DESC, id DESC LIMIT \(limit)
            """, logger: logger)
        for try await r in rows.decode((Int64, Bool, Int64, String, String?).self) {
            events.append(StatusEvent(id: r.0, online: r.1, at: r.2, reason: r.3, document: r.4))
        }
        return events
    }

    public func deadLetters(device: Int64, limit: Int) async throws -> [DeadLetter] {
        var letters: [DeadLetter] = []
        let rows = try await client.query(
            """
            SELECT id, topic, received_at, reason, detail, payload FROM dead_letters WHERE device_id = \(device)
            ORDER BY received_at DESC, id DESC LIMIT \(limit)
            """, logger: logger)
        for try await r in rows.decode((Int64, String, Int64, String, String, ByteBuffer).self) {
            letters.append(
                DeadLetter(
                    id: r.0, topic: r.1, receivedAt: r.2, reason: r.3, detail: r.4,
                    payload: Array(r.5.readableBytesView)))
        }
        return letters
    }
}
