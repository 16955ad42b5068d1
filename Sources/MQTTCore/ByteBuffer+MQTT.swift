public import NIOCore

extension ByteBuffer {
    /// Reads an MQTT variable byte integer (1–4 bytes, 0…268,435,455).
    @inlinable
    public mutating func readMQTTVarInt() throws(MQTTCodecError) -> Int {
        var value = 0
        var multiplier = 1
        for index in 0..<4 {
            guard let byte = readInteger(as: UInt8.self) else {
                throw MQTTCodecError(.malformedPacket, "truncated variable byte integer")
            }
            value += Int(byte & 0x7F) * multiplier
            if byte & 0x80 == 0 {
                // A non-minimal encoding (a trailing 0x00 continuation) is malformed.
                if index > 0 && byte == 0 {
                    throw MQTTCodecError(.malformedPacket, "non-minimal variable byte integer")
                }
                return value
            }
            multiplier *= 128
        }
        throw MQTTCodecError(.malformedPacket, "variable byte integer longer than 4 bytes")
    }

    /// Writes an MQTT variable byte integer.
    @inlinable
    @discardableResult
    public mutating func writeMQTTVarInt(_ value: Int) -> Int {
        precondition(value >= 0 && value <= 268_435_455, "variable byte integer out of range")
        var value = value
        var written = 0
        repeat {
            var byte = UInt8(value & 0x7F)
            value >>= 7
            if value > 0 { byte |= 0x80 }
            writeInteger(byte)
            written += 1
        } while value > 0
        return written
    }

    /// Number of bytes `value` takes as a variable byte integer.
    @inlinable
    public static func mqttVarIntSize(_ value: Int) -> Int {
        switch value {
        case ..<128: 1
        case ..<16_384: 2
        case ..<2_097_152: 3
        default: 4
        }
    }

    /// Reads a two-byte-length-prefixed UTF-8 string, rejecting invalid UTF-8 and U+0000
    /// as the spec requires [MQTT-1.5.4-1, MQTT-1.5.4-2].
    @inlinable
    public mutating func readMQTTString() throws(MQTTCodecError) -> String {
        guard let length = readInteger(as: UInt16.self) else {
            throw MQTTCodecError(.malformedPacket, "truncated string length")
        }
        guard let slice = readSlice(length: Int(length)) else {
            throw MQTTCodecError(.malformedPacket, "string longer than the packet")
        }
        return try slice.mqttValidatedString()
    }

    /// Interprets all readable bytes as an MQTT UTF-8 string, validating it.
    @inlinable
    public func mqttValidatedString() throws(MQTTCodecError) -> String {
        let result: String? = withUnsafeReadableBytes { bytes in
            if bytes.contains(0) { return nil }
            return String(validating: bytes, as: UTF8.self)
        }
        guard let result else {
            throw MQTTCodecError(.malformedPacket, "invalid UTF-8 or U+0000 in string")
        }
        return result
    }

    /// Reads two-byte-length-prefixed binary data.
    @inlinable
    public mutating func readMQTTBinary() throws(MQTTCodecError) -> ByteBuffer {
        guard let length = readInteger(as: UInt16.self) else {
            throw MQTTCodecError(.malformedPacket, "truncated binary length")
        }
        guard let slice = readSlice(length: Int(length)) else {
            throw MQTTCodecError(.malformedPacket, "binary data longer than the packet")
        }
        return slice
    }

    /// Writes a two-byte-length-prefixed UTF-8 string.
    @inlinable
    public mutating func writeMQTTString(_ string: String) {
        let lengthIndex = writerIndex
        writeInteger(UInt16(0))
        let count = writeString(string)
        setInteger(UInt16(truncatingIfNeeded: count), at: lengthIndex)
    }

    /// Writes two-byte-length-prefixed binary data.
    @inlinable
    public mutating func writeMQTTBinary(_ data: ByteBuffer) {
        writeInteger(UInt16(truncatingIfNeeded: data.readableBytes))
        writeImmutableBuffer(data)
    }

    /// Reads one byte or throws a malformed-packet error naming `field`.
    @inlinable
    mutating func readByte(_ field: StaticString) throws(MQTTCodecError) -> UInt8 {
        guard let value = readInteger(as: UInt8.self) else {
            throw MQTTCodecError(.malformedPacket, "truncated \(field)")
        }
        return value
    }

    /// Reads a big-endian UInt16 or throws a malformed-packet error naming `field`.
    @inlinable
    mutating func readUInt16(_ field: StaticString) throws(MQTTCodecError) -> UInt16 {
        guard let value = readInteger(as: UInt16.self) else {
            throw MQTTCodecError(.malformedPacket, "truncated \(field)")
        }
        return value
    }

    /// Reads a big-endian UInt32 or throws a malformed-packet error naming `field`.
    @inlinable
    mutating func readUInt32(_ field: StaticString) throws(MQTTCodecError) -> UInt32 {
        guard let value = readInteger(as: UInt32.self) else {
            throw MQTTCodecError(.malformedPacket, "truncated \(field)")
        }
        return value
    }
}

extension String {
    /// Bytes this string takes when written as an MQTT string (2-byte prefix included).
    @inlinable var mqttEncodedSize: Int { 2 + utf8.count }
}
