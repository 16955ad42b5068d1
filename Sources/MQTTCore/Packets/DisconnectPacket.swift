import NIOCore

/// DISCONNECT (a reason code and properties only in 5.0).
public struct DisconnectPacket: Sendable, Hashable {
    public var reasonCode: ReasonCode
    public var properties: Properties

    public init(reasonCode: ReasonCode = .normalDisconnection, properties: Properties = .init()) {
        self.reasonCode = reasonCode
        self.properties = properties
    }
}
