import Foundation
import OpenAPIRuntime

/// The calls apps make most, as plain methods over ``RoostClient/api`` (every other operation
/// is there, generated). Each throws ``RoostAPIError`` when the server refuses.
extension RoostClient {
    /// A device.
    public typealias Device = Components.Schemas.Device
    /// A command and where its lifecycle is.
    public typealias Command = Components.Schemas.Command

    /// The account logged in.
    public func me() async throws -> Components.Schemas.User {
        try await call { try await $0.getMe().ok.body.json }
    }

    /// Devices the account may see (one page of at most `limit`), optionally only those with `status`.
    public func devices(status: String? = nil, limit: Int = 100) async throws -> [Device] {
        try await call { client in
            let status = status.flatMap { Operations.ListDevices.Input.Query.StatusPayload(rawValue: $0) }
            return try await client.listDevices(query: .init(limit: limit, status: status)).ok.body.json.items
        }
    }

    /// One device by id or uid.
    public func device(_ ref: String) async throws -> Device {
        try await call { try await $0.getDevice(path: .init(ref: ref)).ok.body.json }
    }

    /// Creates a device; its MQTT and HTTP credentials are in the answer, once.
    public func createDevice(uid: String, name: String? = nil, tenant: String? = nil) async throws
        -> Components.Schemas.DeviceCreated
    {
        try await call {
            try await $0.createDevice(body: .json(.init(uid: uid, name: name, tenant: tenant))).created.body.json
        }
    }

    /// Deletes a device and its data.
    public func deleteDevice(_ ref: String) async throws {
        _ = try await call { try await $0.deleteDevice(path: .init(ref: ref)) }
    }

    /// The newest telemetry of a device, newest first.
    public func telemetry(_ ref: String, limit: Int = 100) async throws -> [Components.Schemas.TelemetryItem] {
        try await call { try await $0.telemetryHistory(path: .init(ref: ref), query: .init(limit: limit)).ok.body.json.items }
    }

    /// Sends a command (`params` a JSON object); it is tracked until the device answers or it expires.
    public func sendCommand(_ ref: String, _ command: String, params: [String: any Sendable] = [:], timeout: Int? = nil)
        async throws -> Command
    {
        let object = try OpenAPIObjectContainer(unvalidatedValue: params)
        return try await call {
            try await $0.sendCommand(
                path: .init(ref: ref), body: .json(.init(command: command, params: object, timeoutS: timeout))
            ).created.body.json
        }
    }

    /// A command as it is now.
    public func command(_ id: String) async throws -> Command {
        try await call { try await $0.getCommand(path: .init(id: id)).ok.body.json }
    }
}
