import NIOCore
import PostgresNIO
public import RoostStore

extension PostgresAPIStore {
    public func history(_ q: HistoryQuery) async throws -> [TelemetryPoint] {
        try await historyPage(q).points
    }

    /// The page without a tenant check or version (the history statement, any tenant).
    public func historyPage(_ q: HistoryQuery) async throws -> HistoryPage {
        try await historyPage(q, tenantID: nil, unlessVersion: nil)?.page ?? HistoryPage()
    }

    /// One prepared statement (PostgresHistoryStatement): the tenant check, the data version,
    /// and the page only when the version is not `unlessVersion`.
    public func historyPage(_ q: HistoryQuery, tenantID: Int64?, unlessVersion: Int64?) async throws -> HistoryRead? {
        for try await (version, unchanged, packed) in try await executeHistory(
            q, tenantID: tenantID, unlessVersion: unlessVersion)
        {
            if unchanged { return .unchanged }
            var page = HistoryPage(capacity: min(q.limit, 1_000))
            try Self.unpack(packed, into: &page)
            page.sort(descending: !q.ascending)
            return .page(page, version: version)
        }
        return nil
    }

    /// Appends a packed page's points to `page` (nil: no points).
    private static func unpack(_ packed: ByteBuffer?, into page: inout HistoryPage) throws {
        guard var packed else { return }
        while packed.readableBytes > 0 {
            guard let id = packed.readInteger(as: Int64.self), let ts = packed.readInteger(as: Int64.self),
                let received = packed.readInteger(as: Int64.self), let msgID = Packed.read(&packed, into: &page),
                let data = Packed.read(&packed, into: &page), let raw = Packed.read(&packed, into: &page)
            else { throw PostgresStoreError.malformedAnswer("history page") }
            let dataRange = data ?? page.add("{}")
            page.append(id: id, ts: ts, receivedAt: received, msgID: msgID, data: dataRange, payload: raw)
        }
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
