import HTTPTypes
import Hummingbird

/// The realtime paths answered as plain HTTP: a GET without `Upgrade: websocket` learns what
/// the endpoint is (426 with `Upgrade: websocket`), after the same authentication and device
/// lookup a socket gets, so a wrong token or another tenant's device reads as it would there.
struct RealtimeRoutes {
    let api: RoostAPI

    func register(on group: APIGroup) {
        group.get("/realtime") { _, context in
            _ = try context.require(.viewer)
            throw Self.upgradeRequired
        }
        group.get("/realtime/devices/{ref}") { request, context in
            let identity = try context.require(.viewer)
            _ = try await DeviceRoutes(api: api).resolve(request, context, identity)
            throw Self.upgradeRequired
        }
    }

    static let upgradeRequired = APIError(
        .init(code: 426, reasonPhrase: "Upgrade Required"), "upgrade_required",
        "this is a WebSocket endpoint: connect with Upgrade: websocket (see docs/control.md, Realtime WebSocket)",
        headers: [.upgrade: "websocket", .connection: "Upgrade"])
}
