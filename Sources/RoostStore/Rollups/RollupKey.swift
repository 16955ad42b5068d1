/// Where a rollup cell belongs: a device, a flattened key, a minute (epoch ms, a multiple of
/// 60,000).
public struct RollupKey: Sendable, Hashable {
    public var device: Int64
    public var key: String
    public var minute: Int64

    public init(device: Int64, key: String, minute: Int64) {
        self.device = device
        self.key = key
        self.minute = minute
    }
}
