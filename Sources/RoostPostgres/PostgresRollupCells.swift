import NIOCore
import PostgresNIO
import RoostStore

/// Which fields of a rollup cell an aggregate reads, and how they are packed: the minute and
/// the count always, then the sum, min, max, first and last only for the functions that need
/// them, each 8 bytes big-endian (`int8send`/`float8send`).
struct CellFields {
    let sum: Bool
    let min: Bool
    let max: Bool
    let first: Bool
    let last: Bool
    /// Bytes per cell.
    let size: Int

    init(_ functions: [AggregateFunction]) {
        sum = functions.contains(.avg) || functions.contains(.sum)
        min = functions.contains(.min)
        max = functions.contains(.max)
        first = functions.contains(.first)
        last = functions.contains(.last)
        size = 16 + 8 * ([sum, min, max].filter { $0 }.count + (first ? 2 : 0) + (last ? 2 : 0))
    }

    /// The packing expression over `telemetry_rollup`'s columns, each optional field packed
    /// when its flag parameter (`$5`…`$9`: sum, min, max, first, last) is true.
    static let sql = [
        "int8send(minute) || int8send(n)", "CASE WHEN $5 THEN float8send(total) ELSE ''::bytea END",
        "CASE WHEN $6 THEN float8send(lo) ELSE ''::bytea END", "CASE WHEN $7 THEN float8send(hi) ELSE ''::bytea END",
        "CASE WHEN $8 THEN int8send(first_ts) || float8send(first_v) ELSE ''::bytea END",
        "CASE WHEN $9 THEN int8send(last_ts) || float8send(last_v) ELSE ''::bytea END",
    ].joined(separator: " || ")

    /// Every field: how packed hours hold their cells (`minute` first, 72 bytes a cell).
    static let all = CellFields(AggregateFunction.allCases)

    /// The packing of a whole cell, over `telemetry_rollup`'s columns.
    static let allSQL = """
        int8send(minute) || int8send(n) || float8send(total) || float8send(lo) || float8send(hi)
        || int8send(first_ts) || float8send(first_v) || int8send(last_ts) || float8send(last_v)
        """

    /// Reads one packed cell (fields not packed are 0); nil at the end of `buffer`.
    func read(_ buffer: inout ByteBuffer) -> (minute: Int64, cell: RollupCell)? {
        guard buffer.readableBytes >= size, let minute = buffer.readInteger(as: Int64.self),
            let count = buffer.readInteger(as: Int64.self)
        else { return nil }
        func double(_ present: Bool) -> Double {
            present ? Double(bitPattern: buffer.readInteger(as: UInt64.self) ?? 0) : 0
        }
        func time(_ present: Bool) -> Int64 { present ? buffer.readInteger(as: Int64.self) ?? 0 : 0 }
        let total = double(sum)
        let lo = double(min)
        let hi = double(max)
        let firstTS = time(first)
        let firstValue = double(first)
        let lastTS = time(last)
        let lastValue = double(last)
        return (
            minute,
            RollupCell(
                count: count, sum: total, min: lo, max: hi, firstTS: firstTS, first: firstValue, lastTS: lastTS,
                last: lastValue)
        )
    }
}

/// A device's rollup cells of some keys in `[$3, $4)` minutes (prepared: planned once per
/// connection), one row a key: the packed hours that overlap the range (`$10`: the first
/// hour), then the cells still one row per minute, packed with ``CellFields``.
struct RollupCellsStatement: PostgresPreparedStatement {
    typealias Row = (String, ByteBuffer?, ByteBuffer?)

    static let name = "roost_rollup_cells"
    static let sql = """
        SELECT k,
            (SELECT string_agg(cells, ''::bytea ORDER BY hour) FROM telemetry_rollup_hour
                WHERE device_id = $1 AND key = k AND hour >= $10 AND hour < $4),
            (SELECT string_agg(\(CellFields.sql), ''::bytea ORDER BY minute) FROM telemetry_rollup
                WHERE device_id = $1 AND key = k AND minute >= $3 AND minute < $4)
        FROM unnest($2::text[]) AS k
        """
    static var bindingDataTypes: [PostgresDataType] {
        [.int8, .textArray, .int8, .int8, .bool, .bool, .bool, .bool, .bool, .int8]
    }

    let device: Int64
    let keys: [String]
    let from: Int64
    let to: Int64
    let fields: CellFields

    func makeBindings() throws -> PostgresBindings {
        var binds = PostgresBindings(capacity: 9)
        binds.append(device)
        try binds.append(keys)
        binds.append(from)
        binds.append(to)
        for flag in [fields.sum, fields.min, fields.max, fields.first, fields.last] { binds.append(flag) }
        binds.append(from == .min ? .min : from - (((from % 3_600_000) + 3_600_000) % 3_600_000))
        return binds
    }

    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}

/// The rollup watermark: done, generation, and the newest telemetry id handed out.
struct RollupWatermarkStatement: PostgresPreparedStatement {
    typealias Row = (Int64, Int64, Int64)

    static let name = "roost_rollup_watermark"
    static let sql = """
        SELECT done, generation, coalesce(pg_sequence_last_value(pg_get_serial_sequence('telemetry', 'id')::regclass), 0)
        FROM rollup_state WHERE id = 1
        """

    func makeBindings() throws -> PostgresBindings { PostgresBindings() }
    func decodeRow(_ row: PostgresRow) throws -> Row { try row.decode(Row.self) }
}
