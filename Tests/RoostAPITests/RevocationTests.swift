import Foundation
import MQTTClient
import MQTTCore
import Testing

/// A device's MQTT login ends when its credentials do: rotating them or deleting the device
/// closes the connections they opened (v5: DISCONNECT 0x87), so a revoked device neither
/// publishes nor receives another message; the new credentials log in.
@Suite("Device credentials revoked on the live connection")
struct RevocationTests {
    static func credentials(_ reply: HTTP.Reply) throws -> (String, String) {
        let credentials = try #require(reply.json["credentials"] as? [String: Any])
        return (try #require(credentials["mqtt_username"] as? String), try #require(credentials["mqtt_password"] as? String))
    }

    @Test("rotate closes the old login's connection (0x87) and keeps the new one; delete closes that", arguments: StoreKind.allCases)
    func rotateAndDelete(_ kind: StoreKind) async throws {
        // As on a public address: only device logins are let in (no anonymous fallback).
        let server = try await APITestServer.start(kind) { $0.broker.allowAnonymous = false }
        defer { Task { await server.stop() } }
        let created = try await server.http().post("/api/v1/devices", ["uid": "revoked-1"])
        #expect(created.status == 201, "\(created.text)")
        let (oldUser, oldPassword) = try Self.credentials(created)
        let old = server.mqttClient("revoked-1", username: oldUser, password: oldPassword)
        let oldInbox = old.messages()
        try await old.connect()
        _ = try await old.subscribe([Subscription(filter: "t0/devices/revoked-1/commands", qos: .atLeastOnce)])
        // A bystander on another device's login is not touched.
        let other = try await server.http().post("/api/v1/devices", ["uid": "bystander"])
        let (otherUser, otherPassword) = try Self.credentials(other)
        let bystander = server.mqttClient("bystander", username: otherUser, password: otherPassword)
        try await bystander.connect()

        let rotated = try await server.http().post("/api/v1/devices/revoked-1/credentials", [:])
        #expect(rotated.status == 200, "\(rotated.text)")
        let (newUser, newPassword) = try Self.credentials(rotated)
        try await eventually("the old login's connection to close") { !old.isConnected }
        #expect(old.lastDisconnectReason == .notAuthorized)
        #expect(bystander.isConnected)

        // The old credentials no longer log in; the new ones do, and receive commands.
        let again = server.mqttClient("revoked-1", username: oldUser, password: oldPassword)
        await #expect(throws: (any Error).self) { _ = try await again.connect() }
        let fresh = server.mqttClient("revoked-1", username: newUser, password: newPassword)
        let freshInbox = fresh.messages()
        try await fresh.connect()
        _ = try await fresh.subscribe([Subscription(filter: "t0/devices/revoked-1/commands", qos: .atLeastOnce)])
        let command = try await server.http().post("/api/v1/devices/revoked-1/commands", ["command": "ping"])
        #expect(command.status == 201, "\(command.text)")
        let delivered = try await Self.first(freshInbox, within: 5)
        #expect(delivered?.topic == "t0/devices/revoked-1/commands")
        // Nothing reached the revoked connection's stream after it closed.
        #expect(await Self.first(oldInbox, within: 0.3) == nil)

        // Deleting the device closes the new login too.
        #expect(try await server.http().request("DELETE", "/api/v1/devices/revoked-1").status == 204)
        try await eventually("the deleted device's connection to close") { !fresh.isConnected }
        #expect(fresh.lastDisconnectReason == .notAuthorized)
        #expect(bystander.isConnected)
        await bystander.disconnect()
    }

    static func first(_ stream: AsyncStream<PublishPacket>, within seconds: Double) async -> PublishPacket? {
        await withTaskGroup(of: PublishPacket?.self) { group in
            group.addTask {
                for await packet in stream { return packet }
                return nil
            }
            group.addTask {
                try? await Task.sleep(for: .milliseconds(Int(seconds * 1000)))
                return nil
            }
            let result = await group.next() ?? nil
            group.cancelAll()
            return result
        }
    }
}
