import Crypto
import Foundation

/// A device a credential belongs to.
public struct DeviceIdentity: Sendable, Hashable {
    public var id: Int64
    public var key: DeviceKey

    public init(id: Int64, key: DeviceKey) {
        self.id = id
        self.key = key
    }
}
