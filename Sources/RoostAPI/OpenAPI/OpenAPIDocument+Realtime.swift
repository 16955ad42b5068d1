import RoostJSON

/// The realtime WebSocket in the OpenAPI document. OpenAPI has no WebSocket operation: each
/// path is a GET that upgrades (101), with the message protocol in its description; a GET
/// without `Upgrade: websocket` is answered 426.
extension OpenAPIDocument {
    static let realtimeProtocol = """
        WebSocket (RFC 6455). Authenticate with `?token=`, a bearer header, or a first message \
        `{"type":"auth","token"}` within 10 s; a missing, invalid or expired token closes with 4401. \
        Client messages: `{"type":"subscribe","devices":[ref],"tenant":true|name,"labels":{},\
        "kinds":["telemetry","status","command","alert","shadow"],"id"}` answered with \
        `{"type":"snapshot","devices":[Device],"total","truncated"}`; `unsubscribe` (same fields or \
        `"all":true`); `{"type":"ping"}` answered `pong`. Server events: `ready`, `snapshot`, \
        `telemetry` (device, uid, tenant, ts, received_at, msg_id, data), `status` (status, reason, \
        at), `command` (every lifecycle transition, the Command object), `alert` (the Alert \
        object), `shadow` (the Shadow object), `lagged` (dropped: events dropped for a slow \
        reader), `error` (code, message). Close codes: 4401 authentication, 4403 device not \
        visible, 4408 reader too slow, 1001 server shutting down.
        """

    static var realtimePaths: [(String, [(String, JSONValue)])] {
        let token = P(name: "token", description: "an access token or API key, for clients that cannot set headers")
        return [
            (
                "/api/v1/realtime",
                [
                    (
                        "get",
                        op(
                            "Live events of the devices a client subscribes to (WebSocket)", tag: "realtime",
                            params: [token], ok: (101, nil), description: realtimeProtocol)
                    )
                ]
            ),
            (
                "/api/v1/realtime/devices/{ref}",
                [
                    (
                        "get",
                        op(
                            "Live events of one device (WebSocket), subscribed at once with its snapshot",
                            tag: "realtime", params: [refParam, tenantParam, token], ok: (101, nil),
                            description: realtimeProtocol)
                    )
                ]
            ),
        ]
    }
}
