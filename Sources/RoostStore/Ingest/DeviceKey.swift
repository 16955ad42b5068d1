/// A device as topics name it: the tenant's name and the device uid within it.
public struct DeviceKey: Sendable, Hashable, CustomStringConvertible {
    public var tenant: String
    public var uid: String

    public init(tenant: String, uid: String) {
        self.tenant = tenant
        self.uid = uid
    }

    public var description: String { "\(tenant)/\(uid)" }
}
