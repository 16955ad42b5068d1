// The MQTT decoder under libFuzzer (scripts/fuzz). An input's first byte picks the protocol
// version (3.1, 3.1.1 or 5.0); the rest is a byte stream framed and decoded packet by packet,
// as the broker reads a connection. Every decode either throws MQTTCodecError or gives a
// packet; a packet must encode, decode again, and encode to the same bytes. A crash, a leak,
// a hang or a trap here is a bug.

import Foundation
import MQTTCore
import MQTTFixtures
import NIOCore

let versions: [ProtocolVersion] = [.v3_1, .v3_1_1, .v5]

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<Int32>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>)
    -> Int32
{
    // ROOST_FUZZ_SEEDS=DIR: write the codec's fixture tables there as a first corpus, and stop.
    guard let dir = ProcessInfo.processInfo.environment["ROOST_FUZZ_SEEDS"] else { return 0 }
    try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    func write(_ name: String, _ version: ProtocolVersion, _ bytes: [UInt8]) {
        let index = UInt8(versions.firstIndex(of: version) ?? 1)
        let safe = name.map { $0.isLetter || $0.isNumber ? $0 : "-" }
        FileManager.default.createFile(atPath: "\(dir)/\(String(safe))", contents: Data([index] + bytes))
    }
    for fixture in validFixtures { write("valid-\(fixture.name)", fixture.version, fixture.bytes) }
    for fixture in malformedFixtures { write("malformed-\(fixture.name)", fixture.version, fixture.bytes) }
    print("wrote \(validFixtures.count + malformedFixtures.count) seeds to \(dir)")
    exit(0)
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    guard count > 0 else { return 0 }
    let version = versions[Int(start[0]) % versions.count]
    var stream = ByteBuffer(bytes: UnsafeBufferPointer(start: start + 1, count: count - 1))
    // At most as many packets as bytes: each frame is at least two bytes.
    for _ in 0..<count {
        let frame: PacketFramer.Frame?
        do {
            frame = try PacketFramer.next(from: &stream, maximumSize: 1 << 20)
        } catch {
            return 0  // a malformed header ends the connection
        }
        guard let frame else { return 0 }
        guard let packet = try? Packet.decode(frame, version: version) else { continue }
        roundTrip(packet, version)
    }
    return 0
}

/// Encodes `packet`, decodes the bytes and encodes again: both encodings must be identical.
func roundTrip(_ packet: Packet, _ version: ProtocolVersion) {
    var first = ByteBuffer()
    packet.encode(version: version, into: &first)
    var copy = first
    guard let frame = try? PacketFramer.next(from: &copy, maximumSize: 1 << 28) else {
        fatalError("an encoded \(packet) does not frame")
    }
    let again: Packet
    do {
        again = try Packet.decode(frame, version: version)
    } catch {
        fatalError("an encoded \(packet) does not decode: \(error)")
    }
    var second = ByteBuffer()
    again.encode(version: version, into: &second)
    precondition(first == second, "encoding is not stable for \(packet)")
}
