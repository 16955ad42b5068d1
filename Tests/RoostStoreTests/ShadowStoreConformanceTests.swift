import RoostStore
import Testing

/// One suite, both stores: shadows written with optimistic concurrency.
@Suite("Store conformance: shadows")
struct ShadowStoreConformanceTests {
    static let now: Int64 = 1_700_000_000_000

    static func record(_ device: Int64, version: Int64, desired: String = #"{"fan":"on","target":21.5}"#)
        -> ShadowRecord
    {
        ShadowRecord(
            deviceID: device, desired: desired, reported: #"{"fan":"off"}"#,
            metadata: #"{"desired":{"fan":{"timestamp":1}},"reported":{}}"#, version: version,
            updatedAt: now + version)
    }

    @Test("the first write creates, later ones replace only the version they name", arguments: StoreKind.allCases)
    func versions(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let api = f.api
        let ids = try await f.deviceIDs(["pump", "fan"], now: Self.now)
        #expect(try await api.shadow(device: ids[0]) == nil)
        #expect(try await api.saveShadow(Self.record(ids[0], version: 1), replacing: 0))
        // Read back exactly as written: key order kept (PostgreSQL keeps json, not jsonb).
        #expect(try await api.shadow(device: ids[0]) == Self.record(ids[0], version: 1))
        // A second "first write" and a write naming a stale version both lose, changing nothing.
        #expect(try await !api.saveShadow(Self.record(ids[0], version: 1, desired: "{}"), replacing: 0))
        #expect(try await !api.saveShadow(Self.record(ids[0], version: 5, desired: "{}"), replacing: 4))
        #expect(try await api.shadow(device: ids[0])?.desired == #"{"fan":"on","target":21.5}"#)
        let second = Self.record(ids[0], version: 2, desired: #"{"fan":"auto"}"#)
        #expect(try await api.saveShadow(second, replacing: 1))
        #expect(try await api.shadow(device: ids[0]) == second)
        // Shadows are per device.
        #expect(try await api.shadow(device: ids[1]) == nil)
        // An unknown device is refused; a deleted device takes its shadow along.
        await #expect(throws: StoreError.self) {
            _ = try await api.saveShadow(Self.record(999_999, version: 1), replacing: 0)
        }
        #expect(try await api.deleteDevice(id: ids[0]))
        #expect(try await api.shadow(device: ids[0]) == nil)
    }

    @Test("a device key resolves to its row id within its tenant", arguments: StoreKind.allCases)
    func deviceKeys(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let ids = try await f.deviceIDs(["pump"], now: Self.now)
        #expect(try await f.api.deviceID(for: DeviceKey(tenant: "t0", uid: "pump")) == ids[0])
        #expect(try await f.api.deviceID(for: DeviceKey(tenant: "t9", uid: "pump")) == nil)
        #expect(try await f.api.deviceID(for: DeviceKey(tenant: "t0", uid: "nope")) == nil)
    }
}
