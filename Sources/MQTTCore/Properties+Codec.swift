public import NIOCore

extension Properties {
    /// Reads a property block (length prefix included) for a packet of kind `context`.
    public static func read(
        from buffer: inout ByteBuffer,
        context: PropertyContext
    ) throws(MQTTCodecError) -> Properties {
        let length = try buffer.readMQTTVarInt()
        guard var block = buffer.readSlice(length: length) else {
            throw .malformed("property length exceeds the packet")
        }
        if length == 0 { return Properties() }
        var props = PropertyFields()
        var seen: UInt64 = 0
        while block.readableBytes > 0 {
            let rawID = try block.readMQTTVarInt()
            guard rawID < 0x80, let id = ID(rawValue: UInt8(rawID)) else {
                throw .malformed("unknown property identifier 0x\(String(rawID, radix: 16))")
            }
            guard id.isAllowed(in: context) else {
                throw .protocolError("property \(id) is not allowed in \(context)")
            }
            let repeatable = id == .userProperty || (id == .subscriptionIdentifier && context == .publish)
            let bit: UInt64 = 1 << UInt64(id.rawValue)
            if !repeatable && seen & bit != 0 {
                throw .protocolError("property \(id) appears twice")
            }
            seen |= bit
            try props.readValue(id, from: &block)
        }
        return Properties(props)
    }
}

extension PropertyFields {
    fileprivate mutating func readValue(_ id: Properties.ID, from b: inout ByteBuffer) throws(MQTTCodecError) {
        func flag(_ value: UInt8, _ name: StaticString) throws(MQTTCodecError) -> UInt8 {
            guard value <= 1 else { throw .protocolError("\(name) must be 0 or 1") }
            return value
        }
        switch id {
        case .payloadFormatIndicator: payloadFormatIndicator = try flag(b.readByte("property"), "payload format")
        case .messageExpiryInterval: messageExpiryInterval = try b.readUInt32("property")
        case .contentType: contentType = try b.readMQTTString()
        case .responseTopic:
            let topic = try b.readMQTTString()
            guard Topic.isValidName(topic) else { throw .protocolError("response topic is not a valid topic name") }
            responseTopic = topic
        case .correlationData: correlationData = try b.readMQTTBinary()
        case .subscriptionIdentifier:
            let value = try b.readMQTTVarInt()
            guard value > 0 else { throw .protocolError("subscription identifier 0") }
            subscriptionIdentifiers.append(value)
        case .sessionExpiryInterval: sessionExpiryInterval = try b.readUInt32("property")
        case .assignedClientIdentifier: assignedClientIdentifier = try b.readMQTTString()
        case .serverKeepAlive: serverKeepAlive = try b.readUInt16("property")
        case .authenticationMethod: authenticationMethod = try b.readMQTTString()
        case .authenticationData: authenticationData = try b.readMQTTBinary()
        case .requestProblemInformation:
            requestProblemInformation = try flag(b.readByte("property"), "request problem information")
        case .willDelayInterval: willDelayInterval = try b.readUInt32("property")
        case .requestResponseInformation:
            requestResponseInformation = try flag(b.readByte("property"), "request response information")
        case .responseInformation: responseInformation = try b.readMQTTString()
        case .serverReference: serverReference = try b.readMQTTString()
        case .reasonString: reasonString = try b.readMQTTString()
        case .receiveMaximum:
            let value = try b.readUInt16("property")
            guard value > 0 else { throw .protocolError("receive maximum 0") }
            receiveMaximum = value
        case .topicAliasMaximum: topicAliasMaximum = try b.readUInt16("property")
        case .topicAlias:
            let value = try b.readUInt16("property")
            guard value > 0 else { throw .protocolError("topic alias 0") }
            topicAlias = value
        case .maximumQoS: maximumQoS = try flag(b.readByte("property"), "maximum QoS")
        case .retainAvailable: retainAvailable = try flag(b.readByte("property"), "retain available")
        case .userProperty:
            let name = try b.readMQTTString()
            let value = try b.readMQTTString()
            userProperties.append(UserProperty(name, value))
        case .maximumPacketSize:
            let value = try b.readUInt32("property")
            guard value > 0 else { throw .protocolError("maximum packet size 0") }
            maximumPacketSize = value
        case .wildcardSubscriptionAvailable:
            wildcardSubscriptionAvailable = try flag(b.readByte("property"), "wildcard available")
        case .subscriptionIdentifiersAvailable:
            subscriptionIdentifiersAvailable = try flag(b.readByte("property"), "subscription ids available")
        case .sharedSubscriptionAvailable:
            sharedSubscriptionAvailable = try flag(b.readByte("property"), "shared available")
        }
    }

}

extension Properties {
    /// Writes the property block with its length prefix.
    public func write(to buffer: inout ByteBuffer) {
        if isEmpty {
            buffer.writeInteger(UInt8(0))
            return
        }
        var block = ByteBufferAllocator().buffer(capacity: 64)
        fields.writeBody(to: &block)
        buffer.writeMQTTVarInt(block.readableBytes)
        buffer.writeImmutableBuffer(block)
    }

    /// Size of the block written by ``write(to:)``, length prefix included.
    public var encodedSize: Int {
        if isEmpty { return 1 }
        var block = ByteBufferAllocator().buffer(capacity: 64)
        fields.writeBody(to: &block)
        return ByteBuffer.mqttVarIntSize(block.readableBytes) + block.readableBytes
    }
}

extension PropertyFields {
    fileprivate func writeBody(to b: inout ByteBuffer) {
        func put(_ id: Properties.ID) { b.writeInteger(id.rawValue) }
        if let v = payloadFormatIndicator { put(.payloadFormatIndicator); b.writeInteger(v) }
        if let v = messageExpiryInterval { put(.messageExpiryInterval); b.writeInteger(v) }
        if let v = contentType { put(.contentType); b.writeMQTTString(v) }
        if let v = responseTopic { put(.responseTopic); b.writeMQTTString(v) }
        if let v = correlationData { put(.correlationData); b.writeMQTTBinary(v) }
        for v in subscriptionIdentifiers { put(.subscriptionIdentifier); b.writeMQTTVarInt(v) }
        if let v = sessionExpiryInterval { put(.sessionExpiryInterval); b.writeInteger(v) }
        if let v = assignedClientIdentifier { put(.assignedClientIdentifier); b.writeMQTTString(v) }
        if let v = serverKeepAlive { put(.serverKeepAlive); b.writeInteger(v) }
        if let v = authenticationMethod { put(.authenticationMethod); b.writeMQTTString(v) }
        if let v = authenticationData { put(.authenticationData); b.writeMQTTBinary(v) }
        if let v = requestProblemInformation { put(.requestProblemInformation); b.writeInteger(v) }
        if let v = willDelayInterval { put(.willDelayInterval); b.writeInteger(v) }
        if let v = requestResponseInformation { put(.requestResponseInformation); b.writeInteger(v) }
        if let v = responseInformation { put(.responseInformation); b.writeMQTTString(v) }
        if let v = serverReference { put(.serverReference); b.writeMQTTString(v) }
        if let v = reasonString { put(.reasonString); b.writeMQTTString(v) }
        if let v = receiveMaximum { put(.receiveMaximum); b.writeInteger(v) }
        if let v = topicAliasMaximum { put(.topicAliasMaximum); b.writeInteger(v) }
        if let v = topicAlias { put(.topicAlias); b.writeInteger(v) }
        if let v = maximumQoS { put(.maximumQoS); b.writeInteger(v) }
        if let v = retainAvailable { put(.retainAvailable); b.writeInteger(v) }
        for p in userProperties { put(.userProperty); b.writeMQTTString(p.name); b.writeMQTTString(p.value) }
        if let v = maximumPacketSize { put(.maximumPacketSize); b.writeInteger(v) }
        if let v = wildcardSubscriptionAvailable { put(.wildcardSubscriptionAvailable); b.writeInteger(v) }
        if let v = subscriptionIdentifiersAvailable { put(.subscriptionIdentifiersAvailable); b.writeInteger(v) }
        if let v = sharedSubscriptionAvailable { put(.sharedSubscriptionAvailable); b.writeInteger(v) }
    }
}
