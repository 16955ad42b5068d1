import NIOCore

/// AUTH (5.0 only): enhanced authentication exchange.
public struct AuthPacket: Sendable, Hashable {
    public var reasonCode: ReasonCode
    public var properties: Properties

    public init(reasonCode: ReasonCode = .success, properties: Properties = .init()) {
        self.reasonCode = reasonCode
        self.properties = properties
    }
}
