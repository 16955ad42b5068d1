import MQTTCore
import NIOCore
import Testing

@Suite("Codec round trips")
struct RoundTripTests {
    static func roundTrip(_ packet: Packet, _ version: ProtocolVersion) throws -> Packet {
        var buffer = ByteBuffer()
        packet.encode(version: version, into: &buffer)
        let frame = try #require(try PacketFramer.next(from: &buffer))
        return try Packet.decode(frame, version: version)
    }

    static var fullProperties: Properties {
        var p = Properties()
        p.payloadFormatIndicator = 1
        p.messageExpiryInterval = 120
        p.contentType = "application/json"
        p.responseTopic = "reply/to"
        p.correlationData = ByteBuffer(bytes: [1, 2, 3])
        p.userProperties = [UserProperty("a", "1"), UserProperty("a", "2"), UserProperty("ü", "ß")]
        return p
    }

    @Test("every packet type survives encode and decode in 5.0")
    func v5RoundTrips() throws {
        var connectProps = Properties()
        connectProps.sessionExpiryInterval = 300
        connectProps.receiveMaximum = 10
        connectProps.maximumPacketSize = 4096
        connectProps.topicAliasMaximum = 5
        connectProps.requestResponseInformation = 1
        connectProps.userProperties = [UserProperty("x", "y")]
        var willProps = Self.fullProperties
        willProps.willDelayInterval = 5
        var connackProps = Properties()
        connackProps.assignedClientIdentifier = "auto-1"
        connackProps.serverKeepAlive = 30
        connackProps.retainAvailable = 1
        connackProps.sharedSubscriptionAvailable = 1
        connackProps.reasonString = "welcome"
        var subProps = Properties()
        subProps.subscriptionIdentifiers = [268_435_455]
        var publishProps = Self.fullProperties
        publishProps.topicAlias = 3
        publishProps.subscriptionIdentifiers = [1, 200, 70_000]
        var disconnectProps = Properties()
        disconnectProps.sessionExpiryInterval = 0
        disconnectProps.reasonString = "bye"
        var authProps = Properties()
        authProps.authenticationMethod = "SCRAM"
        authProps.authenticationData = ByteBuffer(bytes: [9])
        let packets: [Packet] = [
            .connect(
                ConnectPacket(
                    protocolVersion: .v5, clientID: "c1", cleanStart: false, keepAlive: 0, username: "u",
                    password: ByteBuffer(bytes: [0, 1, 255]),
                    will: Will(
                        topic: "w", payload: ByteBuffer(string: "gone"), qos: .exactlyOnce, retain: true,
                        properties: willProps),
                    properties: connectProps)),
            .connack(ConnAckPacket(sessionPresent: true, reasonCode: .success, properties: connackProps)),
            .publish(
                PublishPacket(
                    topic: "t/1", payload: ByteBuffer(repeating: 7, count: 70_000), qos: .atLeastOnce,
                    retain: true, packetID: 65_535, properties: publishProps)),
            .puback(
                AckPacket(
                    packetID: 9, reasonCode: .notAuthorized,
                    properties: {
                        var p = Properties(); p.reasonString = "no"; return p
                    }())),
            .pubrec(AckPacket(packetID: 9)),
            .pubrel(AckPacket(packetID: 9, reasonCode: .packetIdentifierNotFound)),
            .pubcomp(AckPacket(packetID: 9)),
            .subscribe(
                SubscribePacket(
                    packetID: 3,
                    subscriptions: [
                        Subscription(filter: "$share/g/a/+", qos: .exactlyOnce, retainHandling: .sendIfNew),
                        Subscription(filter: "#", qos: .atMostOnce, noLocal: true, retainAsPublished: true),
                    ], properties: subProps)),
            .suback(SubAckPacket(packetID: 3, reasonCodes: [.grantedQoS2, .topicFilterInvalid])),
            .unsubscribe(UnsubscribePacket(packetID: 4, filters: ["a", "b/#"])),
            .unsuback(SubAckPacket(packetID: 4, reasonCodes: [.success, .noSubscriptionExisted])),
            .pingreq, .pingresp,
            .disconnect(DisconnectPacket(reasonCode: .sessionTakenOver, properties: disconnectProps)),
            .auth(AuthPacket(reasonCode: .continueAuthentication, properties: authProps)),
        ]
        for packet in packets {
            #expect(try Self.roundTrip(packet, .v5) == packet)
        }
    }

    @Test("3.1 (MQIsdp) CONNECT round trips")
    func v31Connect() throws {
        let connect = Packet.connect(
            ConnectPacket(protocolVersion: .v3_1, clientID: "old-device", cleanStart: true, keepAlive: 5))
        #expect(try Self.roundTrip(connect, .v3_1) == connect)
    }

    @Test(
        "3.1.1 CONNACK return codes map to and from v5 reason codes",
        arguments: [
            (ReasonCode.success, UInt8(0)), (.unsupportedProtocolVersion, 1), (.clientIdentifierNotValid, 2),
            (.serverUnavailable, 3), (.badUserNameOrPassword, 4), (.notAuthorized, 5),
        ])
    func connackCodes(_ code: ReasonCode, _ v3: UInt8) throws {
        var buffer = ByteBuffer()
        Packet.connack(ConnAckPacket(reasonCode: code)).encode(version: .v3_1_1, into: &buffer)
        #expect(Array(buffer.readableBytesView) == [0x20, 0x02, 0x00, v3])
        #expect(ReasonCode.fromV3ConnectReturnCode(v3) == code)
    }

    @Test(
        "variable byte integers at each size boundary",
        arguments: [0, 127, 128, 16_383, 16_384, 2_097_151, 2_097_152, 268_435_455])
    func varInts(_ value: Int) throws {
        var buffer = ByteBuffer()
        let written = buffer.writeMQTTVarInt(value)
        #expect(written == ByteBuffer.mqttVarIntSize(value))
        #expect(try buffer.readMQTTVarInt() == value)
    }

    @Test("PublishPacket.encodedSize matches the bytes written")
    func publishSize() {
        for version in [ProtocolVersion.v3_1_1, .v5] {
            let p = PublishPacket(
                topic: "a/b/c", payload: ByteBuffer(repeating: 1, count: 200), qos: .exactlyOnce,
                packetID: 4, properties: Self.fullProperties)
            var buffer = ByteBuffer()
            p.encode(version: version, into: &buffer)
            #expect(buffer.readableBytes == p.encodedSize(version: version))
        }
    }
}
