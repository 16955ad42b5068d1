public import NIOCore

extension Packet {
    /// Appends the wire form of this packet for a connection speaking `version`.
    public func encode(version: ProtocolVersion, into buffer: inout ByteBuffer) {
        switch self {
        case .publish(let p):
            p.encode(version: version, into: &buffer)
        case .pingreq:
            buffer.writeInteger(UInt16(0xC000))
        case .pingresp:
            buffer.writeInteger(UInt16(0xD000))
        default:
            var body = ByteBufferAllocator().buffer(capacity: 32)
            let header = encodeBody(version: version, into: &body)
            buffer.writeInteger(header)
            buffer.writeMQTTVarInt(body.readableBytes)
            buffer.writeImmutableBuffer(body)
        }
    }

    /// Writes the variable header and payload; returns the fixed header byte.
    private func encodeBody(version: ProtocolVersion, into b: inout ByteBuffer) -> UInt8 {
        let v5 = version == .v5
        switch self {
        case .connect(let c):
            c.encodeBody(into: &b)
            return 0x10
        case .connack(let c):
            b.writeInteger(UInt8(c.sessionPresent ? 1 : 0))
            if v5 {
                b.writeInteger(c.reasonCode.rawValue)
                c.properties.write(to: &b)
            } else {
                b.writeInteger(c.reasonCode.v3ConnectReturnCode)
            }
            return 0x20
        case .puback(let a): a.encodeBody(v5: v5, into: &b); return 0x40
        case .pubrec(let a): a.encodeBody(v5: v5, into: &b); return 0x50
        case .pubrel(let a): a.encodeBody(v5: v5, into: &b); return 0x62
        case .pubcomp(let a): a.encodeBody(v5: v5, into: &b); return 0x70
        case .subscribe(let s):
            b.writeInteger(s.packetID)
            if v5 { s.properties.write(to: &b) }
            for sub in s.subscriptions {
                b.writeMQTTString(sub.filter)
                var options = sub.qos.rawValue
                if v5 {
                    if sub.noLocal { options |= 0x04 }
                    if sub.retainAsPublished { options |= 0x08 }
                    options |= sub.retainHandling.rawValue << 4
                }
                b.writeInteger(options)
            }
            return 0x82
        case .suback(let s), .unsuback(let s):
            b.writeInteger(s.packetID)
            if v5 { s.properties.write(to: &b) }
            // 3.1.1 UNSUBACK has no payload; its SUBACK knows only 0, 1, 2 and 0x80.
            if case .unsuback = self, !v5 { return 0xB0 }
            for code in s.reasonCodes {
                b.writeInteger(v5 || !code.isFailure ? code.rawValue : 0x80)
            }
            if case .unsuback = self { return 0xB0 }
            return 0x90
        case .unsubscribe(let u):
            b.writeInteger(u.packetID)
            if v5 { u.properties.write(to: &b) }
            for filter in u.filters { b.writeMQTTString(filter) }
            return 0xA2
        case .disconnect(let d):
            if v5 && (d.reasonCode != .normalDisconnection || !d.properties.isEmpty) {
                b.writeInteger(d.reasonCode.rawValue)
                if !d.properties.isEmpty { d.properties.write(to: &b) }
            }
            return 0xE0
        case .auth(let a):
            if a.reasonCode != .success || !a.properties.isEmpty {
                b.writeInteger(a.reasonCode.rawValue)
                a.properties.write(to: &b)
            }
            return 0xF0
        case .publish, .pingreq, .pingresp:
            preconditionFailure("encoded without a body buffer")
        }
    }
}

extension ConnectPacket {
    func encodeBody(into b: inout ByteBuffer) {
        b.writeMQTTString(protocolVersion == .v3_1 ? "MQIsdp" : "MQTT")
        b.writeInteger(protocolVersion.rawValue)
        var flags: UInt8 = 0
        if cleanStart { flags |= 0x02 }
        if let will {
            flags |= 0x04 | (will.qos.rawValue << 3)
            if will.retain { flags |= 0x20 }
        }
        if password != nil { flags |= 0x40 }
        if username != nil { flags |= 0x80 }
        b.writeInteger(flags)
        b.writeInteger(keepAlive)
        let v5 = protocolVersion == .v5
        if v5 { properties.write(to: &b) }
        b.writeMQTTString(clientID)
        if let will {
            if v5 { will.properties.write(to: &b) }
            b.writeMQTTString(will.topic)
            b.writeMQTTBinary(will.payload)
        }
        if let username { b.writeMQTTString(username) }
        if let password { b.writeMQTTBinary(password) }
    }
}

extension AckPacket {
    func encodeBody(v5: Bool, into b: inout ByteBuffer) {
        b.writeInteger(packetID)
        guard v5 else { return }
        if !properties.isEmpty {
            b.writeInteger(reasonCode.rawValue)
            properties.write(to: &b)
        } else if reasonCode != .success {
            b.writeInteger(reasonCode.rawValue)
        }
    }
}

extension PublishPacket {
    /// Size on the wire for `version`, fixed header included.
    public func encodedSize(version: ProtocolVersion) -> Int {
        let remaining = remainingLength(version: version)
        return 1 + ByteBuffer.mqttVarIntSize(remaining) + remaining
    }

    @inline(__always)
    func remainingLength(version: ProtocolVersion) -> Int {
        var length = topic.mqttEncodedSize + payload.readableBytes
        if qos != .atMostOnce { length += 2 }
        if version == .v5 { length += properties.encodedSize }
        return length
    }

    /// Writes the PUBLISH directly, without an intermediate body buffer (the hot path).
    public func encode(version: ProtocolVersion, into b: inout ByteBuffer) {
        var header: UInt8 = 0x30 | (qos.rawValue << 1)
        if dup { header |= 0x08 }
        if retain { header |= 0x01 }
        let remaining = remainingLength(version: version)
        b.reserveCapacity(minimumWritableBytes: remaining + 5)
        b.writeInteger(header)
        b.writeMQTTVarInt(remaining)
        b.writeMQTTString(topic)
        if qos != .atMostOnce { b.writeInteger(packetID ?? 0) }
        if version == .v5 { properties.write(to: &b) }
        b.writeImmutableBuffer(payload)
    }
}
