/// Device shadows, written with optimistic concurrency: a write names the version it replaces.
public protocol ShadowStore: Sendable {
    /// The shadow of a device, nil when it has never had one.
    func shadow(device: Int64) async throws -> ShadowRecord?
    /// Writes `record` if the stored shadow is at version `replacing` (0: there is none yet);
    /// returns false, changing nothing, when another write came first. Throws
    /// ``StoreError/notFound(_:)`` when the device is gone.
    func saveShadow(_ record: ShadowRecord, replacing: Int64) async throws -> Bool
    /// The row id of the device `key` names, nil when it is not registered.
    func deviceID(for key: DeviceKey) async throws -> Int64?
}
