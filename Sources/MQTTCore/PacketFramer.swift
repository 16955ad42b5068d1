public import NIOCore

/// Splits a byte stream into packets: fixed header byte plus the body of `remaining length` bytes.
/// Leaves the buffer untouched when a packet is not yet complete.
public enum PacketFramer {
    /// One framed packet, not yet parsed.
    public struct Frame: Sendable {
        /// The first byte: type in bits 7–4, flags in bits 3–0.
        public var header: UInt8
        /// The variable header and payload.
        public var body: ByteBuffer
        /// Bytes the whole packet took on the wire.
        public var wireSize: Int
    }

    /// Reads the next complete packet from `buffer`, or returns nil and consumes nothing.
    /// - Throws: 0x81 for a remaining length over 4 bytes, 0x95 for a packet over `maximumSize`.
    public static func next(from buffer: inout ByteBuffer, maximumSize: Int = 268_435_460) throws(MQTTCodecError)
        -> Frame?
    {
        let start = buffer.readerIndex
        guard let header = buffer.getInteger(at: start, as: UInt8.self) else { return nil }
        var length = 0
        var multiplier = 1
        var index = 1
        while true {
            guard let byte = buffer.getInteger(at: start + index, as: UInt8.self) else { return nil }
            length += Int(byte & 0x7F) * multiplier
            index += 1
            if byte & 0x80 == 0 { break }
            if index > 4 {
                throw MQTTCodecError(.malformedPacket, "remaining length longer than 4 bytes")
            }
            multiplier *= 128
        }
        let total = index + length
        if total > maximumSize {
            throw MQTTCodecError(.packetTooLarge, "packet of \(total) bytes exceeds the maximum of \(maximumSize)")
        }
        guard buffer.readableBytes >= total else { return nil }
        buffer.moveReaderIndex(forwardBy: index)
        let body = buffer.readSlice(length: length)!
        return Frame(header: header, body: body, wireSize: total)
    }
}
