public import NIOCore

/// A name/value pair carried as an MQTT 5 user property; order and duplicates are kept.
public struct UserProperty: Sendable, Hashable {
    public var name: String
    public var value: String
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// The MQTT 5 properties of one packet.
///
/// One stored field per spec property rather than a list of enum cases: the broker reads a
/// handful of them on every publish, and a field is a load where a list is a search. Decoding
/// still rejects duplicates and properties the packet type may not carry.
///
/// The fields live in a copy-on-write box that is absent when no property is set (every 3.1.1
/// packet, most 5.0 ones), so a packet stays small and copying it copies one pointer. Fields
/// are read and written as if they were stored here: `props.contentType = "text/plain"`.
@dynamicMemberLookup
public struct Properties: Sendable, Hashable {
    /// Copy-on-write storage. `@unchecked Sendable`: a box is only mutated while uniquely
    /// referenced (checked in the setter), so a shared box is never written.
    final class Box: @unchecked Sendable {
        var fields: PropertyFields
        init(_ fields: PropertyFields) { self.fields = fields }
    }

    private var box: Box?

    /// No properties.
    public init() {}

    /// Properties with these fields.
    public init(_ fields: PropertyFields) {
        if fields != PropertyFields.empty { box = Box(fields) }
    }

    /// All fields at once.
    public var fields: PropertyFields { box?.fields ?? PropertyFields.empty }

    /// `true` when no property is set.
    public var isEmpty: Bool { box == nil || box!.fields == PropertyFields.empty }

    public subscript<T>(dynamicMember keyPath: WritableKeyPath<PropertyFields, T>) -> T {
        get { box?.fields[keyPath: keyPath] ?? PropertyFields.empty[keyPath: keyPath] }
        set {
            if box == nil {
                box = Box(PropertyFields.empty)
            } else if !isKnownUniquelyReferenced(&box!) {
                box = Box(box!.fields)
            }
            box!.fields[keyPath: keyPath] = newValue
        }
    }

    /// Only the properties a PUBLISH may carry that travel with the message (MQTT 5 section
    /// 3.3.2.3): payload format, message expiry, content type, response topic, correlation data
    /// and user properties. A will's own properties (Will Delay Interval) stay behind.
    public var forwardable: Properties {
        guard let fields = box?.fields else { return self }
        var kept = PropertyFields()
        kept.payloadFormatIndicator = fields.payloadFormatIndicator
        kept.messageExpiryInterval = fields.messageExpiryInterval
        kept.contentType = fields.contentType
        kept.responseTopic = fields.responseTopic
        kept.correlationData = fields.correlationData
        kept.userProperties = fields.userProperties
        return Properties(kept)
    }

    public static func == (lhs: Properties, rhs: Properties) -> Bool {
        if lhs.box === rhs.box { return true }
        return lhs.fields == rhs.fields
    }

    public func hash(into hasher: inout Hasher) {
        fields.hash(into: &hasher)
    }
}

/// The value of every MQTT 5 property; nil (or empty) when absent.
public struct PropertyFields: Sendable, Hashable {
    public var payloadFormatIndicator: UInt8?
    public var messageExpiryInterval: UInt32?
    public var contentType: String?
    public var responseTopic: String?
    public var correlationData: ByteBuffer?
    /// Subscription identifiers: one in SUBSCRIBE, any number in a delivered PUBLISH.
    public var subscriptionIdentifiers: [Int] = []
    public var sessionExpiryInterval: UInt32?
    public var assignedClientIdentifier: String?
    public var serverKeepAlive: UInt16?
    public var authenticationMethod: String?
    public var authenticationData: ByteBuffer?
    public var requestProblemInformation: UInt8?
    public var willDelayInterval: UInt32?
    public var requestResponseInformation: UInt8?
    public var responseInformation: String?
    public var serverReference: String?
    public var reasonString: String?
    public var receiveMaximum: UInt16?
    public var topicAliasMaximum: UInt16?
    public var topicAlias: UInt16?
    public var maximumQoS: UInt8?
    public var retainAvailable: UInt8?
    public var userProperties: [UserProperty] = []
    public var maximumPacketSize: UInt32?
    public var wildcardSubscriptionAvailable: UInt8?
    public var subscriptionIdentifiersAvailable: UInt8?
    public var sharedSubscriptionAvailable: UInt8?

    public init() {}

    /// No property set.
    public static let empty = PropertyFields()
}

/// Which packet a property block belongs to; the spec allows each property in some of them only.
public enum PropertyContext: Sendable {
    case connect, connack, publish, will, ack, subscribe, suback, unsubscribe, unsuback, disconnect, auth
}

extension Properties {
    /// Property identifiers (MQTT 5 section 2.2.2.2).
    enum ID: UInt8 {
        case payloadFormatIndicator = 0x01, messageExpiryInterval = 0x02, contentType = 0x03
        case responseTopic = 0x08, correlationData = 0x09, subscriptionIdentifier = 0x0B
        case sessionExpiryInterval = 0x11, assignedClientIdentifier = 0x12, serverKeepAlive = 0x13
        case authenticationMethod = 0x15, authenticationData = 0x16, requestProblemInformation = 0x17
        case willDelayInterval = 0x18, requestResponseInformation = 0x19, responseInformation = 0x1A
        case serverReference = 0x1C, reasonString = 0x1F, receiveMaximum = 0x21
        case topicAliasMaximum = 0x22, topicAlias = 0x23, maximumQoS = 0x24, retainAvailable = 0x25
        case userProperty = 0x26, maximumPacketSize = 0x27, wildcardSubscriptionAvailable = 0x28
        case subscriptionIdentifiersAvailable = 0x29, sharedSubscriptionAvailable = 0x2A

        func isAllowed(in context: PropertyContext) -> Bool {
            switch self {
            case .payloadFormatIndicator, .messageExpiryInterval, .contentType, .responseTopic, .correlationData:
                return context == .publish || context == .will
            case .subscriptionIdentifier: return context == .publish || context == .subscribe
            case .sessionExpiryInterval: return context == .connect || context == .connack || context == .disconnect
            case .assignedClientIdentifier, .serverKeepAlive, .responseInformation, .maximumQoS, .retainAvailable,
                .wildcardSubscriptionAvailable, .subscriptionIdentifiersAvailable, .sharedSubscriptionAvailable:
                return context == .connack
            case .authenticationMethod, .authenticationData:
                return context == .connect || context == .connack || context == .auth
            case .requestProblemInformation, .requestResponseInformation: return context == .connect
            case .willDelayInterval: return context == .will
            case .serverReference: return context == .connack || context == .disconnect
            case .reasonString:
                return context != .connect && context != .publish && context != .will && context != .subscribe
                    && context != .unsubscribe
            case .receiveMaximum, .topicAliasMaximum, .maximumPacketSize:
                return context == .connect || context == .connack
            case .topicAlias: return context == .publish
            case .userProperty: return true
            }
        }
    }
}
