import NIOCore

extension Packet {
    /// Parses a framed packet. `version` is the connection's negotiated version (ignored for
    /// CONNECT, which carries its own).
    public static func decode(_ frame: PacketFramer.Frame, version: ProtocolVersion) throws(MQTTCodecError) -> Packet {
        var body = frame.body
        let flags = frame.header & 0x0F
        guard let type = PacketType(rawValue: frame.header >> 4) else {
            throw .malformed("reserved packet type 0")
        }
        // Fixed-header flags are reserved for every type but PUBLISH [MQTT-2.2.2-1].
        let expectedFlags: UInt8 = (type == .pubrel || type == .subscribe || type == .unsubscribe) ? 0b0010 : 0
        if type != .publish && flags != expectedFlags {
            throw .malformed("reserved flags 0x\(String(flags, radix: 16)) in \(type)")
        }
        if type == .auth && version != .v5 { throw .malformed("AUTH exists only in MQTT 5") }
        let packet: Packet
        switch type {
        case .connect: packet = .connect(try ConnectPacket.decode(&body))
        case .connack: packet = .connack(try ConnAckPacket.decode(&body, version: version))
        case .publish: packet = .publish(try PublishPacket.decode(&body, flags: flags, version: version))
        case .puback: packet = .puback(try AckPacket.decode(&body, version: version))
        case .pubrec: packet = .pubrec(try AckPacket.decode(&body, version: version))
        case .pubrel: packet = .pubrel(try AckPacket.decode(&body, version: version))
        case .pubcomp: packet = .pubcomp(try AckPacket.decode(&body, version: version))
        case .subscribe: packet = .subscribe(try SubscribePacket.decode(&body, version: version))
        case .suback: packet = .suback(try SubAckPacket.decode(&body, version: version, context: .suback))
        case .unsubscribe: packet = .unsubscribe(try UnsubscribePacket.decode(&body, version: version))
        case .unsuback: packet = .unsuback(try SubAckPacket.decode(&body, version: version, context: .unsuback))
        case .pingreq: packet = .pingreq
        case .pingresp: packet = .pingresp
        case .disconnect: packet = .disconnect(try DisconnectPacket.decode(&body, version: version))
        case .auth: packet = .auth(try AuthPacket.decode(&body))
        }
        if body.readableBytes != 0 {
            throw .malformed("\(body.readableBytes) unexpected bytes after \(type)")
        }
        return packet
    }
}

extension ConnectPacket {
    static func decode(_ b: inout ByteBuffer) throws(MQTTCodecError) -> ConnectPacket {
        let name = try b.readMQTTString()
        let level = try b.readByte("protocol level")
        let version: ProtocolVersion
        switch (name, level) {
        case ("MQTT", 4): version = .v3_1_1
        case ("MQTT", 5): version = .v5
        case ("MQIsdp", 3): version = .v3_1
        case ("MQTT", _), ("MQIsdp", _):
            throw MQTTCodecError(.unsupportedProtocolVersion, "unsupported protocol level \(level)")
        default: throw .protocolError("unknown protocol name \(name)")
        }
        let flags = try b.readByte("connect flags")
        if flags & 0x01 != 0 { throw .malformed("reserved connect flag set") }
        let cleanStart = flags & 0x02 != 0
        let hasWill = flags & 0x04 != 0
        let willQoSRaw = (flags >> 3) & 0x03
        let willRetain = flags & 0x20 != 0
        let hasPassword = flags & 0x40 != 0
        let hasUsername = flags & 0x80 != 0
        guard let willQoS = QoS(rawValue: willQoSRaw) else { throw .malformed("will QoS 3") }
        if !hasWill && (willQoSRaw != 0 || willRetain) {
            throw .malformed("will QoS or retain set without a will")
        }
        if version != .v5 && hasPassword && !hasUsername {
            throw .malformed("password without user name")
        }
        let keepAlive = try b.readUInt16("keep alive")
        let properties = version == .v5 ? try Properties.read(from: &b, context: .connect) : Properties()
        let clientID = try b.readMQTTString()
        var will: Will?
        if hasWill {
            let willProps = version == .v5 ? try Properties.read(from: &b, context: .will) : Properties()
            let topic = try b.readMQTTString()
            guard Topic.isValidName(topic) else {
                throw MQTTCodecError(version == .v5 ? .topicNameInvalid : .malformedPacket, "invalid will topic")
            }
            let payload = try b.readMQTTBinary()
            will = Will(topic: topic, payload: payload, qos: willQoS, retain: willRetain, properties: willProps)
        }
        let username = hasUsername ? try b.readMQTTString() : nil
        let password = hasPassword ? try b.readMQTTBinary() : nil
        return ConnectPacket(
            protocolVersion: version, clientID: clientID, cleanStart: cleanStart, keepAlive: keepAlive,
            username: username, password: password, will: will, properties: properties)
    }
}

extension ConnAckPacket {
    static func decode(_ b: inout ByteBuffer, version: ProtocolVersion) throws(MQTTCodecError) -> ConnAckPacket {
        let ackFlags = try b.readByte("connack flags")
        if ackFlags & 0xFE != 0 { throw .malformed("reserved connack flags set") }
        let code = try b.readByte("connack code")
        if version == .v5 {
            let props = try Properties.read(from: &b, context: .connack)
            return ConnAckPacket(sessionPresent: ackFlags == 1, reasonCode: ReasonCode(code), properties: props)
        }
        return ConnAckPacket(sessionPresent: ackFlags == 1, reasonCode: .fromV3ConnectReturnCode(code))
    }
}

extension PublishPacket {
    static func decode(_ b: inout ByteBuffer, flags: UInt8, version: ProtocolVersion) throws(MQTTCodecError)
        -> PublishPacket
    {
        guard let qos = QoS(rawValue: (flags >> 1) & 0x03) else { throw .malformed("PUBLISH with QoS 3") }
        let dup = flags & 0x08 != 0
        if dup && qos == .atMostOnce { throw .malformed("DUP set on a QoS 0 PUBLISH") }
        let topic = try b.readMQTTString()
        var packetID: UInt16?
        if qos != .atMostOnce {
            let id = try b.readUInt16("packet identifier")
            if id == 0 { throw .malformed("packet identifier 0") }
            packetID = id
        }
        let props = version == .v5 ? try Properties.read(from: &b, context: .publish) : Properties()
        if topic.isEmpty {
            if version != .v5 || props.topicAlias == nil {
                throw MQTTCodecError(version == .v5 ? .protocolError : .malformedPacket, "empty topic name")
            }
        } else if !Topic.isValidName(topic) {
            throw MQTTCodecError(version == .v5 ? .topicNameInvalid : .malformedPacket, "wildcard in topic name")
        }
        let payload = b.readSlice(length: b.readableBytes)!
        return PublishPacket(
            topic: topic, payload: payload, qos: qos, retain: flags & 0x01 != 0, dup: dup,
            packetID: packetID, properties: props)
    }
}

extension AckPacket {
    static func decode(_ b: inout ByteBuffer, version: ProtocolVersion) throws(MQTTCodecError) -> AckPacket {
        let id = try b.readUInt16("packet identifier")
        if id == 0 { throw .malformed("packet identifier 0") }
        guard version == .v5, b.readableBytes > 0 else { return AckPacket(packetID: id) }
        let code = try b.readByte("reason code")
        let props = b.readableBytes > 0 ? try Properties.read(from: &b, context: .ack) : Properties()
        return AckPacket(packetID: id, reasonCode: ReasonCode(code), properties: props)
    }
}

extension SubscribePacket {
    static func decode(_ b: inout ByteBuffer, version: ProtocolVersion) throws(MQTTCodecError) -> SubscribePacket {
        let id = try b.readUInt16("packet identifier")
        if id == 0 { throw .malformed("packet identifier 0") }
        let props = version == .v5 ? try Properties.read(from: &b, context: .subscribe) : Properties()
        var subs: [Subscription] = []
        while b.readableBytes > 0 {
            let filter = try b.readMQTTString()
            let options = try b.readByte("subscription options")
            let reservedMask: UInt8 = version == .v5 ? 0xC0 : 0xFC
            if options & reservedMask != 0 { throw .malformed("reserved subscription option bits set") }
            guard let qos = QoS(rawValue: options & 0x03) else { throw .malformed("subscription QoS 3") }
            guard let handling = Subscription.RetainHandling(rawValue: (options >> 4) & 0x03) else {
                throw .protocolError("retain handling 3")
            }
            subs.append(
                Subscription(
                    filter: filter, qos: qos, noLocal: options & 0x04 != 0, retainAsPublished: options & 0x08 != 0,
                    retainHandling: handling))
        }
        if subs.isEmpty { throw .protocolError("SUBSCRIBE without topic filters") }
        return SubscribePacket(packetID: id, subscriptions: subs, properties: props)
    }
}

extension SubAckPacket {
    static func decode(_ b: inout ByteBuffer, version: ProtocolVersion, context: PropertyContext) throws(MQTTCodecError)
        -> SubAckPacket
    {
        let id = try b.readUInt16("packet identifier")
        let props = version == .v5 ? try Properties.read(from: &b, context: context) : Properties()
        var codes: [ReasonCode] = []
        while b.readableBytes > 0 { codes.append(ReasonCode(try b.readByte("reason code"))) }
        return SubAckPacket(packetID: id, reasonCodes: codes, properties: props)
    }
}

extension UnsubscribePacket {
    static func decode(_ b: inout ByteBuffer, version: ProtocolVersion) throws(MQTTCodecError) -> UnsubscribePacket {
        let id = try b.readUInt16("packet identifier")
        if id == 0 { throw .malformed("packet identifier 0") }
        let props = version == .v5 ? try Properties.read(from: &b, context: .unsubscribe) : Properties()
        var filters: [String] = []
        while b.readableBytes > 0 { filters.append(try b.readMQTTString()) }
        if filters.isEmpty { throw .protocolError("UNSUBSCRIBE without topic filters") }
        return UnsubscribePacket(packetID: id, filters: filters, properties: props)
    }
}

extension DisconnectPacket {
    static func decode(_ b: inout ByteBuffer, version: ProtocolVersion) throws(MQTTCodecError) -> DisconnectPacket {
        guard version == .v5, b.readableBytes > 0 else { return DisconnectPacket() }
        let code = try b.readByte("reason code")
        let props = b.readableBytes > 0 ? try Properties.read(from: &b, context: .disconnect) : Properties()
        return DisconnectPacket(reasonCode: ReasonCode(code), properties: props)
    }
}

extension AuthPacket {
    static func decode(_ b: inout ByteBuffer) throws(MQTTCodecError) -> AuthPacket {
        guard b.readableBytes > 0 else { return AuthPacket() }
        let code = try b.readByte("reason code")
        let props = b.readableBytes > 0 ? try Properties.read(from: &b, context: .auth) : Properties()
        return AuthPacket(reasonCode: ReasonCode(code), properties: props)
    }
}
