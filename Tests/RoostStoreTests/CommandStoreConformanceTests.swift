import Foundation
import RoostStore
import Testing

/// One suite, both stores: the command lifecycle as the command service relies on it.
@Suite("Store conformance: commands")
struct CommandStoreConformanceTests {
    static let now: Int64 = 1_700_000_000_000

    static func new(_ id: String, device: Int64, at: Int64 = now, ttl: Int64 = 60_000) -> NewCommand {
        NewCommand(
            id: id, deviceID: device, command: "reboot", params: #"{"delay":5}"#, createdBy: "user:1", createdAt: at,
            expiresAt: at + ttl)
    }

    @Test("create, read, page newest first, the queued limit per device", arguments: StoreKind.allCases)
    func createAndList(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let api = f.api
        let ids = try await f.deviceIDs(["pump", "fan"], now: Self.now)
        let first = try await api.createCommand(Self.new("c1", device: ids[0]), maxQueued: 3)
        #expect(first.status == .queued && first.uid == "pump" && first.tenant == "t0" && first.command == "reboot")
        #expect(first.createdBy == "user:1" && first.expiresAt == Self.now + 60_000 && first.sentAt == nil)
        #expect(try JSONSerialization.jsonObject(with: Data(first.params.utf8)) as? [String: Int] == ["delay": 5])
        _ = try await api.createCommand(Self.new("c2", device: ids[0], at: Self.now + 1), maxQueued: 3)
        _ = try await api.createCommand(Self.new("c3", device: ids[0], at: Self.now + 2), maxQueued: 3)
        await #expect(throws: StoreError.limitReached("the device has 3 queued commands (the most is 3)")) {
            _ = try await api.createCommand(Self.new("c4", device: ids[0]), maxQueued: 3)
        }
        // Another device has a queue of its own; an unknown device is refused.
        _ = try await api.createCommand(Self.new("f1", device: ids[1]), maxQueued: 3)
        await #expect(throws: StoreError.self) {
            _ = try await api.createCommand(Self.new("x1", device: 999_999), maxQueued: 3)
        }
        #expect(try await api.command(id: "c2")?.seq ?? 0 > first.seq)
        #expect(try await api.command(id: "nope") == nil)

        let page1 = try await api.commands(CommandQuery(deviceID: ids[0], limit: 2))
        #expect(page1.map(\.id) == ["c3", "c2"])
        let page2 = try await api.commands(CommandQuery(deviceID: ids[0], beforeSeq: page1.last!.seq, limit: 2))
        #expect(page2.map(\.id) == ["c1"])
        // Sending one frees a place in the queue.
        _ = try await api.transitionCommand(CommandTransition(id: "c1", from: [.queued], to: .sent, at: Self.now + 5))
        _ = try await api.createCommand(Self.new("c4", device: ids[0]), maxQueued: 3)
        #expect(try await api.commands(CommandQuery(deviceID: ids[0], status: .sent)).map(\.id) == ["c1"])
        #expect(try await api.commands(CommandQuery(deviceID: ids[0], status: .queued)).count == 3)
    }

    @Test("transitions apply only from the statuses named, with their times", arguments: StoreKind.allCases)
    func transitions(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let api = f.api
        let device = try await f.deviceIDs(["pump"], now: Self.now)[0]
        _ = try await api.createCommand(Self.new("c1", device: device), maxQueued: 10)
        #expect(try await api.transitionCommand(.init(id: "c1", from: [.sent], to: .delivered, at: Self.now)) == nil)
        let sent = try await api.transitionCommand(.init(id: "c1", from: [.queued], to: .sent, at: Self.now + 10))
        #expect(sent?.status == .sent && sent?.sentAt == Self.now + 10 && sent?.updatedAt == Self.now + 10)
        // A second claim loses: nothing changes.
        #expect(try await api.transitionCommand(.init(id: "c1", from: [.queued], to: .sent, at: Self.now + 11)) == nil)
        let delivered = try await api.transitionCommand(
            .init(id: "c1", from: [.sent], to: .delivered, at: Self.now + 20))
        #expect(delivered?.deliveredAt == Self.now + 20 && delivered?.sentAt == Self.now + 10)
        let done = try await api.transitionCommand(
            .init(id: "c1", from: [.sent, .delivered], to: .succeeded, at: Self.now + 30, result: #"{"ok":true}"#))
        #expect(done?.status == .succeeded && done?.completedAt == Self.now + 30)
        #expect(try JSONSerialization.jsonObject(with: Data((done?.result ?? "").utf8)) as? [String: Bool] == ["ok": true])
        // Final: a late answer or the expiry changes nothing.
        #expect(
            try await api.transitionCommand(.init(id: "c1", from: [.sent, .delivered], to: .failed, at: Self.now + 40))
                == nil)
        #expect(try await api.expireCommands(now: Self.now + 10_000_000, limit: 100).isEmpty)
        #expect(try await api.command(id: "c1")?.status == .succeeded)
        // Back to queued (a send the broker refused to take) clears the sent time.
        _ = try await api.createCommand(Self.new("c2", device: device), maxQueued: 10)
        _ = try await api.transitionCommand(.init(id: "c2", from: [.queued], to: .sent, at: Self.now + 50))
        let requeued = try await api.transitionCommand(.init(id: "c2", from: [.sent], to: .queued, at: Self.now + 60))
        #expect(requeued?.status == .queued && requeued?.sentAt == nil)
        #expect(try await api.transitionCommand(.init(id: "nope", from: [.queued], to: .sent, at: Self.now)) == nil)
    }

    @Test("queued commands oldest first, per device or all; expiry of unfinished ones", arguments: StoreKind.allCases)
    func queueAndExpiry(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let api = f.api
        let ids = try await f.deviceIDs(["pump", "fan"], now: Self.now)
        _ = try await api.createCommand(Self.new("p1", device: ids[0], ttl: 1000), maxQueued: 10)
        _ = try await api.createCommand(Self.new("f1", device: ids[1], ttl: 5000), maxQueued: 10)
        _ = try await api.createCommand(Self.new("p2", device: ids[0], ttl: 9000), maxQueued: 10)
        _ = try await api.createCommand(Self.new("p3", device: ids[0], ttl: 1000), maxQueued: 10)
        _ = try await api.transitionCommand(.init(id: "p3", from: [.queued], to: .sent, at: Self.now))
        let pump = DeviceKey(tenant: "t0", uid: "pump")
        #expect(try await api.queuedCommands(device: pump, limit: 10).map(\.id) == ["p1", "p2"])
        #expect(try await api.queuedCommands(device: nil, limit: 10).map(\.id) == ["p1", "f1", "p2"])
        #expect(try await api.queuedCommands(device: DeviceKey(tenant: "t1", uid: "pump"), limit: 10).isEmpty)

        let expired = try await api.expireCommands(now: Self.now + 1000, limit: 10)
        #expect(Set(expired.map(\.id)) == ["p1", "p3"])
        #expect(expired.allSatisfy { $0.status == .expired && $0.completedAt == Self.now + 1000 })
        #expect(try await api.expireCommands(now: Self.now + 1000, limit: 10).isEmpty)
        #expect(try await api.expireCommands(now: Self.now + 20_000, limit: 1).count == 1)
        #expect(try await api.expireCommands(now: Self.now + 20_000, limit: 10).count == 1)
        #expect(try await api.queuedCommands(device: nil, limit: 10).isEmpty)
    }

    @Test("a device's commands go with it", arguments: StoreKind.allCases)
    func deletedWithDevice(_ kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        defer { Task { await f.close() } }
        let device = try await f.deviceIDs(["pump"], now: Self.now)[0]
        _ = try await f.api.createCommand(Self.new("c1", device: device), maxQueued: 10)
        #expect(try await f.api.deleteDevice(id: device))
        #expect(try await f.api.command(id: "c1") == nil)
        #expect(try await f.int("SELECT count(*) FROM commands") == 0)
    }
}
