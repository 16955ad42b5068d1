/// Why a packet could not be decoded, with the reason code the spec asks the receiver to send
/// (v5 DISCONNECT or CONNACK); a 3.1.1 receiver closes the connection instead.
public struct MQTTCodecError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The v5 reason code for this error (0x81 malformed, 0x82 protocol error, 0x95 too large …).
    public var reasonCode: ReasonCode
    /// Human-readable detail, safe to log and to send as a reason string.
    public var message: String

    public init(_ reasonCode: ReasonCode, _ message: String) {
        self.reasonCode = reasonCode
        self.message = message
    }

    static func malformed(_ message: String) -> MQTTCodecError { .init(.malformedPacket, message) }
    static func protocolError(_ message: String) -> MQTTCodecError { .init(.protocolError, message) }

    public var description: String { "\(message) (reason \(reasonCode))" }
}
