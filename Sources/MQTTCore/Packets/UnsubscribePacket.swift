import NIOCore

/// UNSUBSCRIBE.
public struct UnsubscribePacket: Sendable, Hashable {
    public var packetID: UInt16
    public var filters: [String]
    public var properties: Properties

    public init(packetID: UInt16, filters: [String], properties: Properties = .init()) {
        self.packetID = packetID
        self.filters = filters
        self.properties = properties
    }
}
