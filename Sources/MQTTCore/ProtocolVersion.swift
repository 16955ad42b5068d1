/// The MQTT protocol revision a connection speaks.
public enum ProtocolVersion: UInt8, Sendable, Hashable, CustomStringConvertible {
    /// MQTT 3.1 (protocol name `MQIsdp`), accepted for old devices.
    case v3_1 = 3
    /// MQTT 3.1.1 (OASIS standard, 2014).
    case v3_1_1 = 4
    /// MQTT 5.0 (OASIS standard, 2019).
    case v5 = 5

    /// `true` for 5.0, where properties and reason codes exist.
    @inlinable public var hasProperties: Bool { self == .v5 }

    public var description: String {
        switch self {
        case .v3_1: "3.1"
        case .v3_1_1: "3.1.1"
        case .v5: "5.0"
        }
    }
}

/// Quality of service of a message or subscription.
public enum QoS: UInt8, Sendable, Hashable, Comparable, Codable {
    /// At most once.
    case atMostOnce = 0
    /// At least once.
    case atLeastOnce = 1
    /// Exactly once.
    case exactlyOnce = 2

    public static func < (lhs: QoS, rhs: QoS) -> Bool { lhs.rawValue < rhs.rawValue }
}
