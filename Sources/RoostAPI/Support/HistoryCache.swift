import NIOCore
import Synchronization

/// History answers kept as sent, per device and query, each with the device's data version it
/// was read at (see `HistoryRead`). An answer is used only after the store confirms, in the same
/// lookup that checks the caller may see the device, that the version is still the device's: a
/// telemetry write replaces the version in the transaction that writes the rows, so a kept
/// answer is never older than the data, on this node or any other sharing the database.
///
/// Least recently used answers go first once the kept bytes pass `capacity`; an answer larger
/// than an eighth of it is not kept. Only first pages (no cursor) are kept: dashboards poll
/// those, while paging walks on.
final class HistoryCache: Sendable {
    /// Which answer: the device, and the query's parameters in a fixed order.
    struct Key: Hashable, Sendable {
        let device: Int64
        let query: String

        /// A hash of `query` that is the same in every process (Swift's `Hasher` is not): part
        /// of the ETag, so any node can read a client's ETag.
        var queryHash: UInt64 {
            var h: UInt64 = 0xcbf2_9ce4_8422_2325
            for byte in query.utf8 { h = (h ^ UInt64(byte)) &* 0x100_0000_01b3 }
            return h
        }
    }

    /// A kept answer.
    struct Entry: Sendable {
        let version: Int64
        let body: ByteBuffer
    }

    /// Counters for `/metrics`.
    struct Counts: Sendable, Equatable {
        var hits = 0
        var misses = 0
        var notModified = 0
        var entries = 0
        var bytes = 0
    }

    let capacity: Int
    private let state: Mutex<LRU>

    /// A cache holding up to `capacity` bytes of answers; 0 keeps nothing.
    init(capacity: Int) {
        self.capacity = max(0, capacity)
        state = Mutex(LRU())
    }

    var isEnabled: Bool { capacity > 0 }

    /// The kept answer for `key`, now the most recently used.
    func lookup(_ key: Key) -> Entry? {
        guard isEnabled else { return nil }
        return state.withLock { $0.get(key) }
    }

    /// Keeps `entry` for `key` (replacing an older one), then drops the least recently used
    /// answers until the kept bytes fit.
    /// The kept bytes are counted by allocation (`capacity`: NIO rounds buffers up to a power
    /// of two, so a 146 KB page takes 256 KB).
    func store(_ key: Key, _ entry: Entry) {
        guard isEnabled, entry.body.capacity <= capacity / 8 else { return }
        state.withLock { lru in
            lru.put(key, entry)
            while lru.bytes > capacity, lru.removeOldest() {}
        }
    }

    /// How an answer was made.
    enum Outcome {
        /// Sent from here.
        case hit
        /// Read from the store.
        case miss
        /// 304: the client's copy is current.
        case notModified
    }

    /// Counts one answer.
    func count(_ outcome: Outcome) {
        state.withLock { lru in
            switch outcome {
            case .hit: lru.counts.hits += 1
            case .miss: lru.counts.misses += 1
            case .notModified: lru.counts.notModified += 1
            }
        }
    }

    var counts: Counts {
        state.withLock { lru in
            var c = lru.counts
            c.entries = lru.index.count
            c.bytes = lru.bytes
            return c
        }
    }

    /// `"<version>-<query hash>"` in hex: a strong validator of the answer to `key` at `version`.
    static func etag(_ key: Key, version: Int64) -> String {
        "\"" + String(UInt64(bitPattern: version), radix: 16) + "-" + String(key.queryHash, radix: 16) + "\""
    }

    /// The data version of the first ETag in an `If-None-Match` value that was made for `key`.
    static func version(ifNoneMatch header: String, for key: Key) -> Int64? {
        let suffix = "-" + String(key.queryHash, radix: 16) + "\""
        for raw in header.split(separator: ",") {
            var tag = raw.drop(while: \.isWhitespace)
            while tag.last?.isWhitespace == true { tag.removeLast() }
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            guard tag.hasPrefix("\""), tag.hasSuffix(suffix) else { continue }
            let hex = tag.dropFirst().dropLast(suffix.count)
            if let bits = UInt64(hex, radix: 16) { return Int64(bitPattern: bits) }
        }
        return nil
    }
}

/// A least-recently-used map in arrays: slots linked both ways, most recent at `head`.
private struct LRU: ~Copyable {
    struct Slot {
        var key: HistoryCache.Key
        var entry: HistoryCache.Entry
        var newer = -1
        var older = -1
    }

    var slots: [Slot] = []
    var free: [Int] = []
    var index: [HistoryCache.Key: Int] = [:]
    var head = -1
    var tail = -1
    var bytes = 0
    var counts = HistoryCache.Counts()

    mutating func get(_ key: HistoryCache.Key) -> HistoryCache.Entry? {
        guard let i = index[key] else { return nil }
        unlink(i)
        pushFront(i)
        return slots[i].entry
    }

    mutating func put(_ key: HistoryCache.Key, _ entry: HistoryCache.Entry) {
        if let i = index[key] {
            bytes += entry.body.capacity - slots[i].entry.body.capacity
            slots[i].entry = entry
            unlink(i)
            pushFront(i)
            return
        }
        let slot = Slot(key: key, entry: entry)
        let i: Int
        if let reused = free.popLast() {
            slots[reused] = slot
            i = reused
        } else {
            slots.append(slot)
            i = slots.count - 1
        }
        index[key] = i
        bytes += entry.body.capacity
        pushFront(i)
    }

    /// Drops the least recently used answer; false when there is none.
    mutating func removeOldest() -> Bool {
        guard tail >= 0 else { return false }
        let i = tail
        unlink(i)
        index[slots[i].key] = nil
        bytes -= slots[i].entry.body.capacity
        slots[i].entry = HistoryCache.Entry(version: 0, body: ByteBuffer())
        free.append(i)
        return true
    }

    private mutating func unlink(_ i: Int) {
        let (newer, older) = (slots[i].newer, slots[i].older)
        if newer >= 0 { slots[newer].older = older } else { head = older }
        if older >= 0 { slots[older].newer = newer } else { tail = newer }
        slots[i].newer = -1
        slots[i].older = -1
    }

    private mutating func pushFront(_ i: Int) {
        slots[i].older = head
        slots[i].newer = -1
        if head >= 0 { slots[head].newer = i }
        head = i
        if tail < 0 { tail = i }
    }
}
