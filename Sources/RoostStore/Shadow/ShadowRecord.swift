/// A device's shadow as stored: the desired and reported documents (JSON objects), the time
/// each key was last set, and one version that every change bumps.
public struct ShadowRecord: Sendable, Hashable {
    public var deviceID: Int64
    /// The state people asked for, a JSON object.
    public var desired: String
    /// The state the device last said it has, a JSON object.
    public var reported: String
    /// `{"desired":{…},"reported":{…}}` mirroring both documents, `{"timestamp":ms}` at each leaf.
    public var metadata: String
    /// 1 on the first write, then one more for every change of either document.
    public var version: Int64
    public var updatedAt: Int64

    public init(deviceID: Int64, desired: String, reported: String, metadata: String, version: Int64, updatedAt: Int64) {
        self.deviceID = deviceID
        self.desired = desired
        self.reported = reported
        self.metadata = metadata
        self.version = version
        self.updatedAt = updatedAt
    }
}
