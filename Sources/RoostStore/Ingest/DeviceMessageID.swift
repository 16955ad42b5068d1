/// A device's message id, the idempotency key of telemetry.
public struct DeviceMessageID: Sendable, Hashable {
    public var device: Int64
    public var msgID: String

    public init(device: Int64, msgID: String) {
        self.device = device
        self.msgID = msgID
    }
}
