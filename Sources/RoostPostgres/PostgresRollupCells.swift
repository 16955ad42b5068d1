import NIOCore
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

    init(_ functions: [AggregateFunction]) {
        sum = functions.contains(.avg) || functions.contains(.sum)
        min = functions.contains(.min)
        max = functions.contains(.max)
        first = functions.contains(.first)
        last = functions.contains(.last)
    }

    /// Bytes per cell.
    var size: Int { 16 + 8 * ([sum, min, max].filter { $0 }.count + (first ? 2 : 0) + (last ? 2 : 0)) }

    /// The packing expression over `telemetry_rollup`'s columns.
    var sql: String {
        var parts = ["int8send(minute)", "int8send(n)"]
        if sum { parts.append("float8send(total)") }
        if min { parts.append("float8send(lo)") }
        if max { parts.append("float8send(hi)") }
        if first { parts += ["int8send(first_ts)", "float8send(first_v)"] }
        if last { parts += ["int8send(last_ts)", "float8send(last_v)"] }
        return parts.joined(separator: " || ")
    }

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
