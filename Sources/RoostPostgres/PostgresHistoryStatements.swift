import NIOCore
import PostgresNIO
import RoostStore

/// The history reads as prepared statements: PostgreSQL plans them once per connection instead
/// of once per request (planning was most of its work for a kept page's version check).
///
/// A statement's SQL is fixed, so each order and payload choice is a statement of its own
/// (``PostgresHistoryShape``). Parameters: `$1` the known data version (or NULL), `$2` the
/// device, `$3` the tenant (or NULL), `$4`/`$5` the time range, `$6`/`$7` the keyset cursor,
/// `$8` the limit.
struct PostgresHistoryStatement<Shape: PostgresHistoryShape>: PostgresPreparedStatement {
    /// The device's data version, whether it was the one given, and the packed page.
    typealias Row = PostgresHistoryRow

    static var sql: String { Shape.sql }
    /// Short: PostgreSQL cuts names at 63 bytes, and the default (the type's full name) would
    /// make the shapes' names one.
    static var name: String { "roost_history_" + Shape.name }
    static var bindingDataTypes: [PostgresDataType] { Array(repeating: .int8, count: 8) }

    let query: HistoryQuery
    let tenantID: Int64?
    let unlessVersion: Int64?

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings(capacity: 8)
        binds.append(unlessVersion)
        binds.append(query.device)
        binds.append(tenantID)
        binds.append(query.from ?? .min)
        binds.append(query.to ?? .max)
        binds.append(query.afterTS ?? (query.ascending ? .min : .max))
        binds.append(query.afterID ?? (query.ascending ? .min : .max))
        binds.append(Int64(query.limit))
        return binds
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// A row of ``PostgresHistoryStatement``: data version, unchanged, packed page.
typealias PostgresHistoryRow = (Int64?, Bool, ByteBuffer?)

/// One order and payload choice of ``PostgresHistoryStatement``.
protocol PostgresHistoryShape: Sendable {
    static var name: String { get }
    static var sql: String { get }
}

enum NewestFirst: PostgresHistoryShape {
    static let name = "desc"
    static let sql = PostgresHistorySQL.versioned(ascending: false, payload: false)
}
enum OldestFirst: PostgresHistoryShape {
    static let name = "asc"
    static let sql = PostgresHistorySQL.versioned(ascending: true, payload: false)
}
enum NewestFirstWithPayload: PostgresHistoryShape {
    static let name = "desc_payload"
    static let sql = PostgresHistorySQL.versioned(ascending: false, payload: true)
}
enum OldestFirstWithPayload: PostgresHistoryShape {
    static let name = "asc_payload"
    static let sql = PostgresHistorySQL.versioned(ascending: true, payload: true)
}

enum PostgresHistorySQL {
    /// The tenant check, the data version, and the page only when the version is not `$1`
    /// (PostgreSQL runs a subquery in a CASE branch only when it takes the branch); version and
    /// page come from one snapshot.
    static func versioned(ascending: Bool, payload: Bool) -> String {
        """
        SELECT data_version, coalesce(data_version = $1, false),
            CASE WHEN data_version = $1 THEN NULL ELSE (SELECT \(packedPage(ascending: ascending, payload: payload))) END
        FROM devices WHERE id = $2 AND ($3::bigint IS NULL OR tenant_id = $3)
        """
    }

    /// The page as one bytea (see Packed), to follow a SELECT. Keyset paging on (ts, id); the
    /// (device_id, ts) index serves the order. Decoding a thousand rows of six columns through
    /// PostgresNIO costs more than the query, hence one value. The aggregate takes no ORDER BY
    /// (PostgreSQL would sort the packed rows again); the caller puts the page in order.
    static func packedPage(ascending: Bool, payload: Bool) -> String {
        let (order, after) = ascending ? ("ts, id", ">") : ("ts DESC, id DESC", "<")
        return """
            string_agg(
                int8send(id) || int8send(ts) || int8send(received_at) || \(Packed.text("msg_id"))
                || \(Packed.text("data")) || \(Packed.text("payload")), ''::bytea)
            FROM (
                SELECT id, ts, received_at, msg_id, data::text AS data, \(payload ? "payload" : "NULL::text") AS payload
                FROM telemetry WHERE device_id = $2 AND ts >= $4 AND ts < $5 AND (ts, id) \(after) ($6, $7)
                ORDER BY \(order) LIMIT $8
            ) page
            """
    }
}

extension PostgresAPIStore {
    /// ``PostgresHistoryStatement`` of `q`'s shape.
    func executeHistory(_ q: HistoryQuery, tenantID: Int64?, unlessVersion: Int64?) async throws
        -> AsyncThrowingMapSequence<PostgresRowSequence, PostgresHistoryRow>
    {
        let shape: any PostgresHistoryShape.Type =
            switch (q.ascending, q.includePayload) {
            case (false, false): NewestFirst.self
            case (true, false): OldestFirst.self
            case (false, true): NewestFirstWithPayload.self
            case (true, true): OldestFirstWithPayload.self
            }
        return try await execute(shape, q, tenantID: tenantID, unlessVersion: unlessVersion)
    }

    private func execute<Shape: PostgresHistoryShape>(
        _: Shape.Type, _ q: HistoryQuery, tenantID: Int64?, unlessVersion: Int64?
    ) async throws -> AsyncThrowingMapSequence<PostgresRowSequence, PostgresHistoryRow> {
        try await client.execute(
            PostgresHistoryStatement<Shape>(query: q, tenantID: tenantID, unlessVersion: unlessVersion), logger: logger)
    }
}
