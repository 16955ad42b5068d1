/// A page of history in columns: numbers in arrays and every text in one byte array, so a
/// 1,000-point page is a handful of allocations instead of two or three strings per point.
/// The API writes pages from here; ``TelemetryStore/history(_:)`` gives the same points as
/// values.
public struct HistoryPage: Sendable, Hashable {
    public var ids: [Int64] = []
    public var ts: [Int64] = []
    public var receivedAt: [Int64] = []
    /// The UTF-8 of every text of the page, back to back.
    public var text: [UInt8] = []
    /// Per point, where its msg_id lies in `text` (nil when it has none).
    public var msgID: [Range<Int>?] = []
    /// Per point, where its flattened data (a JSON object) lies in `text`.
    public var data: [Range<Int>] = []
    /// Per point, where its raw payload lies in `text` (nil when not asked for or not kept).
    public var payload: [Range<Int>?] = []

    /// Number of points.
    public var count: Int { ids.count }

    /// An empty page with room for `capacity` points.
    public init(capacity: Int = 0) {
        ids.reserveCapacity(capacity)
        ts.reserveCapacity(capacity)
        receivedAt.reserveCapacity(capacity)
        msgID.reserveCapacity(capacity)
        data.reserveCapacity(capacity)
        payload.reserveCapacity(capacity)
        text.reserveCapacity(capacity * 96)
    }

    /// The page of `points`.
    public init(points: [TelemetryPoint]) {
        self.init(capacity: points.count)
        for p in points {
            let msgID = p.msgID.map { add($0) }
            let data = add(p.data)
            let payload = p.payload.map { add($0) }
            append(id: p.id, ts: p.ts, receivedAt: p.receivedAt, msgID: msgID, data: data, payload: payload)
        }
    }

    /// Copies the UTF-8 of `string` into `text` and returns where it lies.
    public mutating func add(_ string: String) -> Range<Int> {
        let start = text.count
        text.append(contentsOf: string.utf8)
        return start..<text.count
    }

    /// Copies `bytes` into `text` and returns where they lie.
    public mutating func add(_ bytes: UnsafeBufferPointer<UInt8>) -> Range<Int> {
        let start = text.count
        text.append(contentsOf: bytes)
        return start..<text.count
    }

    /// Appends a point whose texts were added with ``add(_:)``.
    public mutating func append(
        id: Int64, ts: Int64, receivedAt: Int64, msgID: Range<Int>?, data: Range<Int>, payload: Range<Int>?
    ) {
        ids.append(id)
        self.ts.append(ts)
        self.receivedAt.append(receivedAt)
        self.msgID.append(msgID)
        self.data.append(data)
        self.payload.append(payload)
    }

    /// Orders the points by (ts, id), newest first when `descending` (texts stay where they are).
    public mutating func sort(descending: Bool) {
        let order = ids.indices.sorted { a, b in
            descending ? (ts[b], ids[b]) < (ts[a], ids[a]) : (ts[a], ids[a]) < (ts[b], ids[b])
        }
        if order.elementsEqual(ids.indices) { return }
        ids = order.map { ids[$0] }
        ts = order.map { ts[$0] }
        receivedAt = order.map { receivedAt[$0] }
        msgID = order.map { msgID[$0] }
        data = order.map { data[$0] }
        payload = order.map { payload[$0] }
    }

    /// Reverses the order of the points (their texts stay where they are).
    public mutating func reverse() {
        ids.reverse()
        ts.reverse()
        receivedAt.reverse()
        msgID.reverse()
        data.reverse()
        payload.reverse()
    }

    /// The text at `range` as a string.
    public func string(_ range: Range<Int>) -> String {
        text.withUnsafeBufferPointer { String(decoding: UnsafeBufferPointer(rebasing: $0[range]), as: UTF8.self) }
    }

    /// The points as values.
    public var points: [TelemetryPoint] {
        (0..<count).map { i in
            TelemetryPoint(
                id: ids[i], ts: ts[i], receivedAt: receivedAt[i], msgID: msgID[i].map(string), data: string(data[i]),
                payload: payload[i].map(string))
        }
    }
}
