/// Tenants and devices as the API manages them.
public protocol RegistryStore: Sendable {
    func tenants() async throws -> [TenantRecord]
    func tenant(id: Int64) async throws -> TenantRecord?
    /// Throws ``StoreError/conflict(_:)`` when the name is taken.
    func createTenant(name: String, now: Int64) async throws -> TenantRecord
    /// Deletes the tenant with its users, devices and their data.
    func deleteTenant(id: Int64) async throws -> Bool

    /// A page of devices and how many match in all.
    func devices(_ query: DeviceQuery) async throws -> (devices: [DeviceRecord], total: Int)
    /// The device, when it exists and (if `tenantID` is given) belongs to that tenant.
    func device(id: Int64, tenantID: Int64?) async throws -> DeviceRecord?
    /// Throws ``StoreError/conflict(_:)`` when the uid is taken in the tenant.
    func createDevice(tenantID: Int64, uid: String, name: String?, labels: String, now: Int64) async throws
        -> DeviceRecord
    func updateDevice(id: Int64, name: String?, labels: String?) async throws -> DeviceRecord?
    /// Deletes the device, its credentials and all its data (telemetry, status events, dead letters).
    func deleteDevice(id: Int64) async throws -> Bool
    /// Devices in all, and online, of a tenant or of all tenants.
    func deviceCounts(tenantID: Int64?) async throws -> (total: Int, online: Int)
}
