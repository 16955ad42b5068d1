public import MQTTCore
import NIOCore

/// A packet on the wire and what it decodes to.
public struct ValidFixture: Sendable, CustomStringConvertible {
    public let name: String
    public let version: ProtocolVersion
    public let bytes: [UInt8]
    public let packet: Packet
    public var description: String { name }
}

/// Bytes that must be refused, with the v5 reason code the receiver reports.
public struct MalformedFixture: Sendable, CustomStringConvertible {
    public let name: String
    public let version: ProtocolVersion
    public let bytes: [UInt8]
    public let reason: ReasonCode
    /// Largest packet the receiver accepts (to test 0x95).
    public let maximumSize: Int
    public var description: String { name }
}

/// Parses "10 0c 00 04 'MQTT' 04" style strings: hex bytes and quoted ASCII.
public func hexBytes(_ text: String) -> [UInt8] {
    var out: [UInt8] = []
    var i = text.startIndex
    while i < text.endIndex {
        let c = text[i]
        if c == "'" {
            let end = text[text.index(after: i)...].firstIndex(of: "'")!
            out += Array(text[text.index(after: i)..<end].utf8)
            i = text.index(after: end)
        } else if c.isHexDigit {
            let next = text.index(i, offsetBy: 2)
            out.append(UInt8(text[i..<next], radix: 16)!)
            i = next
        } else {
            i = text.index(after: i)
        }
    }
    return out
}

private func buf(_ s: String) -> ByteBuffer { ByteBuffer(string: s) }

/// Valid packets of both versions, both directions.
public let validFixtures: [ValidFixture] = [
    .init(
        name: "CONNECT 3.1.1 minimal", version: .v3_1_1,
        bytes: hexBytes("10 0c 00 04 'MQTT' 04 02 00 3c 00 00"),
        packet: .connect(ConnectPacket(protocolVersion: .v3_1_1, clientID: "", cleanStart: true, keepAlive: 60))),
    .init(
        name: "CONNECT 3.1.1 with will and credentials", version: .v3_1_1,
        bytes: hexBytes("10 23 00 04 'MQTT' 04 ee 00 0a 00 01 'c' 00 03 'w/t' 00 03 'bye' 00 04 'user' 00 04 'pass'"),
        packet: .connect(
            ConnectPacket(
                protocolVersion: .v3_1_1, clientID: "c", cleanStart: true, keepAlive: 10,
                username: "user", password: buf("pass"),
                will: Will(topic: "w/t", payload: buf("bye"), qos: .atLeastOnce, retain: true)))),
    .init(
        name: "CONNECT 5.0 with session expiry", version: .v5,
        bytes: hexBytes("10 14 00 04 'MQTT' 05 00 00 1e 05 11 00 00 0e 10 00 02 'id'"),
        packet: .connect(
            {
                var p = Properties(); p.sessionExpiryInterval = 3600
                return ConnectPacket(
                    protocolVersion: .v5, clientID: "id", cleanStart: false, keepAlive: 30, properties: p)
            }())),
    .init(
        name: "CONNACK 3.1.1 accepted", version: .v3_1_1, bytes: hexBytes("20 02 00 00"),
        packet: .connack(ConnAckPacket(sessionPresent: false, reasonCode: .success))),
    .init(
        name: "CONNACK 3.1.1 session present", version: .v3_1_1, bytes: hexBytes("20 02 01 00"),
        packet: .connack(ConnAckPacket(sessionPresent: true, reasonCode: .success))),
    .init(
        name: "CONNACK 5.0 not authorized", version: .v5, bytes: hexBytes("20 03 00 87 00"),
        packet: .connack(ConnAckPacket(sessionPresent: false, reasonCode: .notAuthorized))),
    .init(
        name: "PUBLISH 3.1.1 QoS 1", version: .v3_1_1, bytes: hexBytes("32 09 00 03 'a/b' 00 01 'hi'"),
        packet: .publish(PublishPacket(topic: "a/b", payload: buf("hi"), qos: .atLeastOnce, packetID: 1))),
    .init(
        name: "PUBLISH 3.1.1 QoS 0 retained", version: .v3_1_1, bytes: hexBytes("31 07 00 03 'a/b' 'hi'"),
        packet: .publish(PublishPacket(topic: "a/b", payload: buf("hi"), retain: true))),
    .init(
        name: "PUBLISH 5.0 QoS 0", version: .v5, bytes: hexBytes("30 08 00 03 'a/b' 00 'hi'"),
        packet: .publish(PublishPacket(topic: "a/b", payload: buf("hi")))),
    .init(
        name: "PUBLISH 5.0 QoS 2 dup with properties", version: .v5,
        bytes: hexBytes("3c 16 00 03 'a/b' 00 07 0d 01 01 08 00 01 'r' 26 00 01 'k' 00 01 'v' 'x'"),
        packet: .publish(
            {
                var p = Properties(); p.payloadFormatIndicator = 1; p.userProperties = [UserProperty("k", "v")]
                p.responseTopic = "r"
                return PublishPacket(
                    topic: "a/b", payload: buf("x"), qos: .exactlyOnce, dup: true, packetID: 7, properties: p)
            }())),
    .init(
        name: "PUBACK 3.1.1", version: .v3_1_1, bytes: hexBytes("40 02 00 01"),
        packet: .puback(AckPacket(packetID: 1))),
    .init(
        name: "PUBACK 5.0 no matching subscribers", version: .v5, bytes: hexBytes("40 03 00 01 10"),
        packet: .puback(AckPacket(packetID: 1, reasonCode: .noMatchingSubscribers))),
    .init(
        name: "PUBREC 3.1.1", version: .v3_1_1, bytes: hexBytes("50 02 00 05"), packet: .pubrec(AckPacket(packetID: 5))),
    .init(
        name: "PUBREL 3.1.1", version: .v3_1_1, bytes: hexBytes("62 02 00 05"), packet: .pubrel(AckPacket(packetID: 5))),
    .init(
        name: "PUBCOMP 3.1.1", version: .v3_1_1, bytes: hexBytes("70 02 00 05"),
        packet: .pubcomp(AckPacket(packetID: 5))),
    .init(
        name: "SUBSCRIBE 3.1.1", version: .v3_1_1, bytes: hexBytes("82 08 00 01 00 03 'a/#' 01"),
        packet: .subscribe(
            SubscribePacket(packetID: 1, subscriptions: [Subscription(filter: "a/#", qos: .atLeastOnce)]))),
    .init(
        name: "SUBSCRIBE 5.0 with options and identifier", version: .v5,
        bytes: hexBytes("82 0b 00 01 02 0b 07 00 03 'a/#' 2d"),
        packet: .subscribe(
            {
                var p = Properties(); p.subscriptionIdentifiers = [7]
                return SubscribePacket(
                    packetID: 1,
                    subscriptions: [
                        Subscription(
                            filter: "a/#", qos: .atLeastOnce, noLocal: true, retainAsPublished: true,
                            retainHandling: .never)
                    ], properties: p)
            }())),
    .init(
        name: "SUBACK 3.1.1", version: .v3_1_1, bytes: hexBytes("90 04 00 01 01 80"),
        packet: .suback(SubAckPacket(packetID: 1, reasonCodes: [.grantedQoS1, .unspecifiedError]))),
    .init(
        name: "SUBACK 5.0 not authorized", version: .v5, bytes: hexBytes("90 04 00 01 00 87"),
        packet: .suback(SubAckPacket(packetID: 1, reasonCodes: [.notAuthorized]))),
    .init(
        name: "UNSUBSCRIBE 3.1.1", version: .v3_1_1, bytes: hexBytes("a2 05 00 02 00 01 'x'"),
        packet: .unsubscribe(UnsubscribePacket(packetID: 2, filters: ["x"]))),
    .init(
        name: "UNSUBACK 3.1.1", version: .v3_1_1, bytes: hexBytes("b0 02 00 02"),
        packet: .unsuback(SubAckPacket(packetID: 2, reasonCodes: []))),
    .init(
        name: "UNSUBACK 5.0", version: .v5, bytes: hexBytes("b0 04 00 02 00 11"),
        packet: .unsuback(SubAckPacket(packetID: 2, reasonCodes: [.noSubscriptionExisted]))),
    .init(name: "PINGREQ", version: .v3_1_1, bytes: hexBytes("c0 00"), packet: .pingreq),
    .init(name: "PINGRESP", version: .v5, bytes: hexBytes("d0 00"), packet: .pingresp),
    .init(
        name: "DISCONNECT 3.1.1", version: .v3_1_1, bytes: hexBytes("e0 00"), packet: .disconnect(DisconnectPacket())),
    .init(
        name: "DISCONNECT 5.0 with will", version: .v5, bytes: hexBytes("e0 01 04"),
        packet: .disconnect(DisconnectPacket(reasonCode: .disconnectWithWill))),
    .init(name: "AUTH 5.0", version: .v5, bytes: hexBytes("f0 00"), packet: .auth(AuthPacket())),
]

/// Malformed packets and the reason code each must produce.
public let malformedFixtures: [MalformedFixture] = [
    m("remaining length of 5 bytes", .v3_1_1, "30 ff ff ff ff 01", .malformedPacket),
    m("reserved packet type 0", .v3_1_1, "00 00", .malformedPacket),
    m("PUBACK with reserved flags", .v3_1_1, "41 02 00 01", .malformedPacket),
    m("SUBSCRIBE with flags 0", .v3_1_1, "80 08 00 01 00 03 'a/#' 01", .malformedPacket),
    m("PUBREL with flags 0", .v5, "60 02 00 01", .malformedPacket),
    m("PUBLISH QoS 3", .v3_1_1, "36 07 00 03 'a/b' 00 01", .malformedPacket),
    m("PUBLISH DUP on QoS 0", .v3_1_1, "38 05 00 03 'a/b'", .malformedPacket),
    m("PUBLISH invalid UTF-8 topic", .v3_1_1, "30 06 00 02 c3 28 'hi'", .malformedPacket),
    m("PUBLISH U+0000 in topic", .v3_1_1, "30 04 00 02 61 00", .malformedPacket),
    m("PUBLISH wildcard in topic 3.1.1", .v3_1_1, "30 05 00 03 'a/#'", .malformedPacket),
    m("PUBLISH wildcard in topic 5.0", .v5, "30 06 00 03 'a/+' 00", .topicNameInvalid),
    m("PUBLISH empty topic 3.1.1", .v3_1_1, "30 04 00 00 'hi'", .malformedPacket),
    m("PUBLISH empty topic without alias 5.0", .v5, "30 03 00 00 00", .protocolError),
    m("PUBLISH packet identifier 0", .v3_1_1, "32 07 00 03 'a/b' 00 00", .malformedPacket),
    m("PUBLISH truncated topic", .v3_1_1, "30 03 00 05 'a'", .malformedPacket),
    m("PUBLISH duplicate property", .v5, "30 0a 00 03 'a/b' 04 01 00 01 00", .protocolError),
    m("PUBLISH property not allowed", .v5, "30 0b 00 03 'a/b' 05 11 00 00 00 01", .protocolError),
    m("PUBLISH topic alias 0", .v5, "30 09 00 03 'a/b' 03 23 00 00", .protocolError),
    m("PUBLISH unknown property", .v5, "30 08 00 03 'a/b' 02 7f 00", .malformedPacket),
    m("PUBLISH property length past the end", .v5, "30 06 00 03 'a/b' 09", .malformedPacket),
    m("PUBLISH payload format 2", .v5, "30 08 00 03 'a/b' 02 01 02", .protocolError),
    m("SUBSCRIBE packet identifier 0", .v3_1_1, "82 06 00 00 00 01 'a' 00", .malformedPacket),
    m("SUBSCRIBE without filters", .v3_1_1, "82 02 00 01", .protocolError),
    m("SUBSCRIBE reserved option bits 3.1.1", .v3_1_1, "82 08 00 01 00 03 'a/#' 05", .malformedPacket),
    m("SUBSCRIBE reserved option bits 5.0", .v5, "82 09 00 01 00 00 03 'a/#' c1", .malformedPacket),
    m("SUBSCRIBE retain handling 3", .v5, "82 09 00 01 00 00 03 'a/#' 30", .protocolError),
    m("SUBSCRIBE QoS 3", .v3_1_1, "82 08 00 01 00 03 'a/#' 03", .malformedPacket),
    m("SUBSCRIBE subscription identifier 0", .v5, "82 0b 00 01 02 0b 00 00 03 'a/#' 00", .protocolError),
    m("UNSUBSCRIBE without filters", .v3_1_1, "a2 02 00 01", .protocolError),
    m("CONNECT reserved flag", .v3_1_1, "10 0c 00 04 'MQTT' 04 03 00 3c 00 00", .malformedPacket),
    m("CONNECT unsupported level", .v3_1_1, "10 0c 00 04 'MQTT' 06 02 00 3c 00 00", .unsupportedProtocolVersion),
    m("CONNECT unknown protocol name", .v3_1_1, "10 0c 00 04 'MQTX' 04 02 00 3c 00 00", .protocolError),
    m("CONNECT will QoS 3", .v3_1_1, "10 0c 00 04 'MQTT' 04 1e 00 3c 00 00", .malformedPacket),
    m("CONNECT will retain without will", .v3_1_1, "10 0c 00 04 'MQTT' 04 22 00 3c 00 00", .malformedPacket),
    m(
        "CONNECT password without user 3.1.1", .v3_1_1, "10 12 00 04 'MQTT' 04 42 00 3c 00 00 00 04 'pass'",
        .malformedPacket),
    m("CONNECT receive maximum 0", .v5, "10 10 00 04 'MQTT' 05 02 00 3c 03 21 00 00 00 00", .protocolError),
    m(
        "CONNECT duplicate session expiry", .v5,
        "10 17 00 04 'MQTT' 05 02 00 3c 0a 11 00 00 00 01 11 00 00 00 02 00 00", .protocolError),
    m("CONNECT invalid UTF-8 client id", .v3_1_1, "10 0e 00 04 'MQTT' 04 02 00 3c 00 02 ff fe", .malformedPacket),
    m("PINGREQ with a body", .v3_1_1, "c0 01 00", .malformedPacket),
    m("AUTH in 3.1.1", .v3_1_1, "f0 00", .malformedPacket),
    m("CONNACK reserved flags", .v3_1_1, "20 02 02 00", .malformedPacket),
    m("packet over the maximum size", .v3_1_1, "30 14 00 03 'a/b' 'xxxxxxxxxxxxxxx'", .packetTooLarge, maximumSize: 10),
]

private func m(
    _ name: String, _ version: ProtocolVersion, _ hex: String, _ reason: ReasonCode, maximumSize: Int = 268_435_460
) -> MalformedFixture {
    MalformedFixture(name: name, version: version, bytes: hexBytes(hex), reason: reason, maximumSize: maximumSize)
}
