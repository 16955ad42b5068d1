import RoostJSON
public import RoostStore

/// Folds stored telemetry rows into per-minute rollup cells: every numeric leaf of a row's
/// `data` (JSON numbers, and booleans as 1 and 0 — what aggregates count) goes into the cell of
/// its device, key and minute.
public struct RollupBuilder: Sendable {
    /// The rollup period, in milliseconds.
    public static let minute: Int64 = 60_000

    struct CellKey: Hashable {
        var device: Int64
        var key: Int32
        var minute: Int64
    }

    /// Key names by number: cells hash small integers, not strings.
    private var keyNumbers: [String: Int32] = [:]
    private var keyNames: [String] = []
    private var cellIndex: [CellKey: Int] = [:]
    private var cellKeys: [CellKey] = []
    private var cellValues: [RollupCell] = []

    public init() {}

    /// How many cells the rows went into.
    public var count: Int { cellValues.count }

    /// The cells ordered by device, key and minute (the stores' key order: writes stay local).
    public var cells: [(key: RollupKey, cell: RollupCell)] {
        cellKeys.indices.sorted { a, b in
            let (x, y) = (cellKeys[a], cellKeys[b])
            if x.device != y.device { return x.device < y.device }
            if x.key != y.key { return keyNames[Int(x.key)] < keyNames[Int(y.key)] }
            return x.minute < y.minute
        }.map { i in
            let k = cellKeys[i]
            return (RollupKey(device: k.device, key: keyNames[Int(k.key)], minute: k.minute), cellValues[i])
        }
    }

    /// Adds a row; rows must come in storage order (it decides ties of `first` and `last`).
    public mutating func add(_ row: RollupSourceRow) {
        let minute = Self.floor(row.ts, to: Self.minute)
        Self.forEachNumber(in: row.data) { name, value in
            let number: Int32
            if let n = keyNumbers[name] {
                number = n
            } else {
                number = Int32(keyNames.count)
                keyNumbers[name] = number
                keyNames.append(name)
            }
            let k = CellKey(device: row.device, key: number, minute: minute)
            if let i = cellIndex[k] {
                cellValues[i].add(ts: row.ts, value: value)
            } else {
                cellIndex[k] = cellValues.count
                cellKeys.append(k)
                cellValues.append(RollupCell(ts: row.ts, value: value))
            }
        }
    }

    /// The numeric leaves of a stored `data` object. The server wrote it (a flat object), so a
    /// byte scan reads it; anything unusual (escapes, nested values) goes through the parser.
    public static func forEachNumber(in data: String, _ body: (String, Double) -> Void) {
        var data = data
        let scanned = data.withUTF8 { bytes in
            var scan = FlatScan(bytes: bytes)
            return scan.run(body)
        }
        guard !scanned else { return }
        guard case .object(let members)? = try? JSONParser.parse(data) else { return }
        for m in members {
            switch m.value {
            case .number(let n): body(m.key, n)
            case .bool(let b): body(m.key, b ? 1 : 0)
            default: continue
            }
        }
    }

    /// The multiple of `step` at or below `t` (also for times before 1970).
    public static func floor(_ t: Int64, to step: Int64) -> Int64 {
        let r = t % step
        return r < 0 ? t - r - step : t - r
    }
}

/// Reads `{"key":value,...}` with scalar values and keys without escapes; false when the text
/// is anything else (nothing is reported then).
private struct FlatScan {
    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0

    init(bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    mutating func run(_ body: (String, Double) -> Void) -> Bool {
        var found: [(String, Double)] = []
        guard next() == UInt8(ascii: "{") else { return false }
        if peek() == UInt8(ascii: "}") { return true }
        while true {
            guard next() == UInt8(ascii: "\""), let key = string(), next() == UInt8(ascii: ":") else { return false }
            guard i < bytes.count else { return false }
            switch bytes[i] {
            case UInt8(ascii: "\""):
                i += 1
                guard skipString() else { return false }
            case UInt8(ascii: "t"), UInt8(ascii: "f"), UInt8(ascii: "n"):
                let start = i
                while i < bytes.count, bytes[i] >= UInt8(ascii: "a"), bytes[i] <= UInt8(ascii: "z") { i += 1 }
                switch String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self) {
                case "true": found.append((key, 1))
                case "false": found.append((key, 0))
                case "null": break
                default: return false
                }
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = i
                while i < bytes.count, Self.isNumberByte(bytes[i]) { i += 1 }
                guard let v = Double(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
                else { return false }
                found.append((key, v))
            default:
                return false  // nested: the parser's job
            }
            switch next() {
            case UInt8(ascii: ","): continue
            case UInt8(ascii: "}"):
                for (k, v) in found { body(k, v) }
                return true
            default: return false
            }
        }
    }

    static func isNumberByte(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9")) || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")
            || b == UInt8(ascii: ".") || b == UInt8(ascii: "e") || b == UInt8(ascii: "E")
    }

    mutating func next() -> UInt8? {
        guard i < bytes.count else { return nil }
        defer { i += 1 }
        return bytes[i]
    }

    func peek() -> UInt8? { i < bytes.count ? bytes[i] : nil }

    /// After the opening quote: the key up to the closing quote, nil if it has escapes.
    mutating func string() -> String? {
        let start = i
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\""):
                defer { i += 1 }
                return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
            case UInt8(ascii: "\\"): return nil
            default: i += 1
            }
        }
        return nil
    }

    /// After the opening quote: past the closing quote, escapes included.
    mutating func skipString() -> Bool {
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\""):
                i += 1
                return true
            case UInt8(ascii: "\\"): i += 2
            default: i += 1
            }
        }
        return false
    }
}
