/// JSON written straight into memory a ByteBuffer reserved (`writeWithUnsafeMutableBytes`):
/// big answers (a history page, a day of buckets) are written a point or bucket at a time with
/// one capacity check, not piece by piece through the buffer's checks.
///
/// Writes at `p + n`; the caller reserved the room.
package struct RawJSONWriter {
    package let p: UnsafeMutablePointer<UInt8>
    package var n = 0

    package init(p: UnsafeMutablePointer<UInt8>, n: Int = 0) {
        self.p = p
        self.n = n
    }

    package mutating func put(_ s: StaticString) {
        (p + n).update(from: s.utf8Start, count: s.utf8CodeUnitCount)
        n += s.utf8CodeUnitCount
    }

    package mutating func copy(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress else { return }
        (p + n).update(from: base, count: bytes.count)
        n += bytes.count
    }

    /// A JSON string: quotes, backslashes and control characters escaped, UTF-8 as is.
    package mutating func quoted(_ bytes: UnsafeBufferPointer<UInt8>) {
        p[n] = UInt8(ascii: "\"")
        n += 1
        let hex: StaticString = "0123456789abcdef"
        for b in bytes {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                p[n] = UInt8(ascii: "\\")
                p[n + 1] = b
                n += 2
            case 0x0A: put("\\n")
            case 0x0D: put("\\r")
            case 0x09: put("\\t")
            case ..<0x20:
                put("\\u00")
                p[n] = hex.utf8Start[Int(b >> 4)]
                p[n + 1] = hex.utf8Start[Int(b & 0x0F)]
                n += 2
            default:
                p[n] = b
                n += 1
            }
        }
        p[n] = UInt8(ascii: "\"")
        n += 1
    }

    /// An aggregate value: integers without a fraction, other numbers in Swift's shortest
    /// round-trip form; null for no value (and for the non-finite, which JSON cannot hold).
    /// At most 24 bytes.
    package mutating func number(_ value: Double?) {
        guard let v = value, v.isFinite else {
            put("null")
            return
        }
        if v == v.rounded(), abs(v) < 1e15 {
            integer(Int64(v))
        } else {
            var text = v.description
            text.withUTF8 { copy($0) }
        }
    }

    /// Decimal digits of `value` (at most 20 bytes).
    package mutating func integer(_ value: Int64) {
        var magnitude = value.magnitude
        var digits = 0
        repeat {
            digits += 1
            magnitude /= 10
        } while magnitude > 0
        if value < 0 {
            p[n] = UInt8(ascii: "-")
            n += 1
        }
        magnitude = value.magnitude
        var i = n + digits - 1
        repeat {
            p[i] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
            i -= 1
        } while magnitude > 0
        n += digits
    }
}
