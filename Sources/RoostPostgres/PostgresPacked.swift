import NIOCore
import RoostStore

/// Text columns packed into a bytea: a 4-byte length (-1 for NULL), then the UTF-8 bytes.
enum Packed {
    /// The SQL that packs `column`.
    static func text(_ column: String) -> String {
        "CASE WHEN \(column) IS NULL THEN int4send(-1) ELSE int4send(octet_length(\(column))) || convert_to(\(column), 'UTF8') END"
    }

    /// Reads one packed text: nil when the buffer ends early, `.some(nil)` for NULL.
    static func read(_ buffer: inout ByteBuffer) -> String?? {
        guard let length = buffer.readInteger(as: Int32.self) else { return nil }
        if length < 0 { return .some(nil) }
        guard let text = buffer.readString(length: Int(length)) else { return nil }
        return .some(text)
    }

    /// Reads one packed text into `page`'s text without making a string: nil when the buffer
    /// ends early, `.some(nil)` for NULL.
    static func read(_ buffer: inout ByteBuffer, into page: inout HistoryPage) -> Range<Int>?? {
        guard let length = buffer.readInteger(as: Int32.self) else { return nil }
        if length < 0 { return .some(nil) }
        guard let slice = buffer.readSlice(length: Int(length)) else { return nil }
        return .some(slice.withUnsafeReadableBytes { page.add($0.bindMemory(to: UInt8.self)) })
    }
}
