import Foundation
import HTTPTypes
import Logging

/// Which WebSocket upgrades are realtime sockets: `/api/v1/realtime` and
/// `/api/v1/realtime/devices/{ref}`, with the token from `?token=` or a bearer header (or, when
/// neither is there, from the first message).
enum RealtimeEndpoint {
    static let path = "/api/v1/realtime"

    /// The session for this upgrade request, or nil when it is not for a realtime path.
    static func session(for request: HTTPRequest, api: RoostAPI, logger: Logger) -> RealtimeSession? {
        guard let target = request.path else { return nil }
        let parts = target.split(separator: "?", maxSplits: 1)
        let path = parts.first.map(String.init) ?? ""
        var deviceRef: String?
        if path == Self.path || path == Self.path + "/" {
            deviceRef = nil
        } else if path.hasPrefix(Self.path + "/devices/") {
            let ref = String(path.dropFirst((Self.path + "/devices/").count))
            guard !ref.isEmpty, !ref.contains("/") else { return nil }
            deviceRef = ref.removingPercentEncoding ?? ref
        } else {
            return nil
        }
        var token = request.headerFields[.authorization].flatMap(AuthMiddleware.bearer)
        if token == nil, parts.count == 2 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0] == "token" { token = String(kv[1]).removingPercentEncoding ?? String(kv[1]) }
            }
        }
        return RealtimeSession(
            api: api, bus: api.realtime, configuration: api.realtimeConfiguration, logger: logger, token: token,
            deviceRef: deviceRef)
    }
}
