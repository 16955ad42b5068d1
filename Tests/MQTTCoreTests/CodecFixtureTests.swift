import MQTTCore
import MQTTFixtures
import NIOCore
import Testing

@Suite("Codec fixtures")
struct CodecFixtureTests {
    @Test("decodes valid packets", arguments: validFixtures)
    func decodesValid(_ fixture: ValidFixture) throws {
        var buffer = ByteBuffer(bytes: fixture.bytes)
        let frame = try #require(try PacketFramer.next(from: &buffer))
        #expect(buffer.readableBytes == 0)
        let packet = try Packet.decode(frame, version: fixture.version)
        #expect(packet == fixture.packet)
    }

    @Test("encodes valid packets to the same bytes", arguments: validFixtures)
    func encodesValid(_ fixture: ValidFixture) {
        var buffer = ByteBuffer()
        fixture.packet.encode(version: fixture.version, into: &buffer)
        #expect(Array(buffer.readableBytesView) == fixture.bytes)
    }

    @Test("a packet split at every byte decodes once complete", arguments: validFixtures)
    func partialPackets(_ fixture: ValidFixture) throws {
        for split in 0..<fixture.bytes.count {
            var buffer = ByteBuffer(bytes: fixture.bytes[..<split])
            #expect(try PacketFramer.next(from: &buffer) == nil)
            #expect(buffer.readableBytes == split, "a partial packet must not be consumed")
            buffer.writeBytes(fixture.bytes[split...])
            let frame = try #require(try PacketFramer.next(from: &buffer))
            #expect(try Packet.decode(frame, version: fixture.version) == fixture.packet)
        }
    }

    @Test("refuses malformed packets with the spec's reason code", arguments: malformedFixtures)
    func refusesMalformed(_ fixture: MalformedFixture) {
        var buffer = ByteBuffer(bytes: fixture.bytes)
        do {
            guard let frame = try PacketFramer.next(from: &buffer, maximumSize: fixture.maximumSize) else {
                Issue.record("fixture \(fixture.name) is incomplete")
                return
            }
            let packet = try Packet.decode(frame, version: fixture.version)
            Issue.record("decoded \(packet) from malformed bytes")
        } catch {
            // Typed throws: every error here is an MQTTCodecError.
            #expect(error.reasonCode == fixture.reason, "\(error.message)")
        }
    }
}
