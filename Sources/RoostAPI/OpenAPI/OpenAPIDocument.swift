import RoostJSON

/// The OpenAPI 3.1 document served at `/openapi.json`. A test holds it against the routes the
/// server registers (both ways) and schemathesis against the live server's answers.
public enum OpenAPIDocument {
    /// The document as JSON text.
    public static let json: String = document.jsonText

    static let idParam = P(name: "id", location: "path", schema: S.integer)
    static let refParam = P(name: "ref", location: "path", description: "device id, or uid within your tenant")
    static let tenantParam = P(name: "tenant", description: "platform admins: tenant name or id")
    static let limit = P(
        name: "limit",
        schema: S.obj([("type", .string("integer")), ("minimum", .number(1)), ("maximum", .number(10_000))]))
    static let time = "RFC 3339 time or epoch milliseconds"
    static let bucketHelp = """
        30s, 1m, 1h, 1d or milliseconds; buckets start at multiples of it since the epoch (1d at \
        midnight UTC), the first and last may be cut by from and to; buckets without a numeric value \
        are left out
        """

    static var paths: [(String, [(String, JSONValue)])] {
        let history = [
            refParam, P(name: "from", description: time), P(name: "to", description: time), limit,
            P(name: "cursor", description: "next_cursor of the previous page"),
            P(name: "order", schema: S.enumeration(["asc", "desc"])),
            P(name: "keys", description: "comma-separated keys to keep in data"),
            P(
                name: "include", schema: S.enumeration(["payload"]),
                description: "payload: add each message's raw payload"), tenantParam,
            P(
                name: "If-None-Match", location: "header",
                description: "the ETag of a first page (no cursor) held: 304 while the device has no new data"),
        ]
        return [
            ("/health", [("get", op("Liveness", tag: "ops", ok: (200, "Status"), auth: false))]),
            ("/ready", [("get", op("Readiness: store and broker up", tag: "ops", ok: (200, "Status"), auth: false))]),
            ("/metrics", [("get", op("Prometheus metrics (text)", tag: "ops", auth: false))]),
            ("/openapi.json", [("get", op("This document", tag: "ops", auth: false))]),
            ("/docs", [("get", op("API documentation page", tag: "ops", auth: false))]),
            (
                "/api/v1/auth/login",
                [("post", op("Log in", tag: "auth", body: "Login", ok: (200, "TokenPair"), auth: false))]
            ),
            (
                "/api/v1/auth/refresh",
                [
                    (
                        "post",
                        op(
                            "Trade a refresh token for a new pair", tag: "auth", body: "Refresh",
                            ok: (200, "TokenPair"), auth: false)
                    )
                ]
            ),
            (
                "/api/v1/auth/logout",
                [
                    (
                        "post",
                        op(
                            "Revoke a refresh token (or all with all=true)", tag: "auth", body: "Logout",
                            ok: (204, nil), auth: false)
                    )
                ]
            ),
            ("/api/v1/me", [("get", op("The caller", tag: "auth", ok: (200, "User")))]),
            (
                "/api/v1/me/api-keys",
                [
                    ("get", op("Your personal API keys", tag: "auth", ok: (200, "APIKeyList"))),
                    (
                        "post",
                        op(
                            "Create a personal API key (shown once)", tag: "auth", body: "APIKeyCreate",
                            ok: (201, "APIKeyCreated"))
                    ),
                ]
            ),
            (
                "/api/v1/me/api-keys/{id}",
                [("delete", op("Revoke a personal API key", tag: "auth", params: [idParam], ok: (204, nil)))]
            ),
            (
                "/api/v1/tenants",
                [
                    ("get", op("Tenants you can see", tag: "tenants", ok: (200, "TenantList"))),
                    (
                        "post",
                        op(
                            "Create a tenant (platform admin)", tag: "tenants", body: "TenantCreate",
                            ok: (201, "Tenant"))
                    ),
                ]
            ),
            (
                "/api/v1/tenants/{id}",
                [
                    ("get", op("A tenant", tag: "tenants", params: [idParam], ok: (200, "Tenant"))),
                    (
                        "delete",
                        op(
                            "Delete a tenant with its users, devices and data (platform admin)", tag: "tenants",
                            params: [idParam], ok: (204, nil))
                    ),
                ]
            ),
            (
                "/api/v1/users",
                [
                    (
                        "get",
                        op(
                            "Users of your tenant (all for platform admins)", tag: "users",
                            params: [P(name: "tenant_id", schema: S.integer)], ok: (200, "UserList"))
                    ),
                    ("post", op("Create a user", tag: "users", body: "UserCreate", ok: (201, "User"))),
                ]
            ),
            (
                "/api/v1/users/{id}",
                [
                    ("get", op("A user", tag: "users", params: [idParam], ok: (200, "User"))),
                    (
                        "patch",
                        op(
                            "Change name, role or password", tag: "users", params: [idParam], body: "UserUpdate",
                            ok: (200, "User"))
                    ),
                    ("delete", op("Delete a user", tag: "users", params: [idParam], ok: (204, nil))),
                ]
            ),
            (
                "/api/v1/devices",
                [
                    (
                        "get",
                        op(
                            "Devices, filtered and paged", tag: "devices",
                            params: [
                                limit, P(name: "cursor"),
                                P(name: "status", schema: S.enumeration(["online", "offline", "unknown"])),
                                P(name: "q", description: "substring of uid or name"),
                                P(name: "label", description: "key:value"), tenantParam,
                            ], ok: (200, "DeviceList"))
                    ),
                    (
                        "post",
                        op(
                            "Register a device; its credentials are shown once", tag: "devices", body: "DeviceCreate",
                            ok: (201, "DeviceCreated"))
                    ),
                ]
            ),
            (
                "/api/v1/devices/{ref}",
                [
                    (
                        "get",
                        op(
                            "A device with status, last_seen and latest values", tag: "devices",
                            params: [refParam, tenantParam], ok: (200, "Device"))
                    ),
                    (
                        "patch",
                        op(
                            "Change name or labels", tag: "devices", params: [refParam, tenantParam],
                            body: "DeviceUpdate", ok: (200, "Device"))
                    ),
                    (
                        "delete",
                        op(
                            "Delete a device with all its data", tag: "devices", params: [refParam, tenantParam],
                            ok: (204, nil))
                    ),
                ]
            ),
            (
                "/api/v1/devices/{ref}/credentials",
                [
                    (
                        "post",
                        op(
                            "Rotate the device's credentials (shown once)", tag: "devices",
                            params: [refParam, tenantParam], ok: (200, "CredentialsRotated"))
                    )
                ]
            ),
            (
                "/api/v1/devices/{ref}/telemetry",
                [
                    (
                        "get",
                        op(
                            "History, newest first by default", tag: "telemetry", params: history,
                            ok: (200, "TelemetryPage"), validated: true)
                    )
                ]
            ),
            (
                "/api/v1/devices/{ref}/telemetry/latest",
                [
                    (
                        "get",
                        op(
                            "Latest value of each key", tag: "telemetry", params: [refParam, tenantParam],
                            ok: (200, "Latest"))
                    )
                ]
            ),
            (
                "/api/v1/devices/{ref}/aggregate",
                [
                    (
                        "get",
                        op(
                            "Aggregates of numeric keys in time buckets", tag: "telemetry",
                            params: [
                                refParam, P(name: "keys", description: "comma-separated keys", required: true),
                                P(name: "from", description: time),
                                P(name: "to", description: time),
                                P(name: "bucket", description: bucketHelp),
                                P(name: "fn", description: "comma-separated: avg,min,max,count,sum,first,last"),
                                tenantParam,
                            ], ok: (200, "Aggregate"))
                    )
                ]
            ),
            (
                "/api/v1/devices/{ref}/export",
                [
                    (
                        "get",
                        op(
                            "History as CSV or NDJSON, streamed, oldest first", tag: "telemetry",
                            params: [
                                refParam, P(name: "format", schema: S.enumeration(["csv", "ndjson"])),
                                P(name: "from", description: time),
                                P(name: "to", description: time), P(name: "keys"), tenantParam,
                            ])
                    )
                ]
            ),
            (
                "/api/v1/devices/{ref}/events",
                [
                    (
                        "get",
                        op(
                            "Online/offline transitions, newest first", tag: "telemetry",
                            params: [refParam, limit, tenantParam], ok: (200, "StatusEventList"))
                    )
                ]
            ),
            (
                "/api/v1/devices/{ref}/dead-letters",
                [
                    (
                        "get",
                        op(
                            "Refused messages with reasons", tag: "telemetry", params: [refParam, limit, tenantParam],
                            ok: (200, "DeadLetterList"))
                    )
                ]
            ),
            (
                "/api/v1/stats",
                [
                    (
                        "get",
                        op(
                            "Overview: devices, message rates, ingest queue", tag: "ops", params: [tenantParam],
                            ok: (200, "Stats"))
                    )
                ]
            ),
            (
                "/api/v1/ingest",
                [
                    (
                        "post",
                        op(
                            "Device HTTP ingest: one telemetry object (X-API-Key)", tag: "ingest",
                            ok: (202, "IngestAccepted"), auth: false)
                    )
                ]
            ),
            (
                "/api/v1/ingest/batch",
                [
                    (
                        "post",
                        op(
                            "Device HTTP ingest: an array of telemetry objects (X-API-Key)", tag: "ingest",
                            ok: (202, "IngestAccepted"), auth: false)
                    )
                ]
            ),
        ]
    }

    static var document: JSONValue {
        S.obj([
            ("openapi", .string("3.1.0")),
            (
                "info",
                S.obj([
                    ("title", .string("Roost API")), ("version", .string("1.0.0")),
                    (
                        "description",
                        .string(
                            "IoT telemetry platform: devices, history, aggregates, users. Errors are {\"error\":{code,message,details}}."
                        )
                    ),
                ])
            ),
            ("servers", .array([S.obj([("url", .string("/"))])])),
            ("security", .array([S.obj([("bearer", .array([]))])])),
            ("paths", S.obj((paths + commandPaths + shadowPaths + alertPaths + schedulePaths + realtimePaths + brokerAuthPaths).map { path, ops in (path, S.obj(ops)) })),
            (
                "components",
                S.obj([
                    ("schemas", S.obj(S.schemaList + commandSchemas + shadowSchemas + alertSchemas + scheduleSchemas + brokerAuthSchemas)),
                    (
                        "securitySchemes",
                        S.obj([
                            (
                                "bearer",
                                S.obj([
                                    ("type", .string("http")), ("scheme", .string("bearer")),
                                    (
                                        "description",
                                        .string("access token from /auth/login, or a personal API key rpk_…")
                                    ),
                                ])
                            )
                        ])
                    ),
                ])
            ),
        ])
    }

    /// `METHOD /path` of every operation.
    public static var operations: [String] {
        (paths + commandPaths + shadowPaths + alertPaths + schedulePaths + realtimePaths + brokerAuthPaths).flatMap { path, ops in ops.map { "\($0.0.uppercased()) \(path)" } }
    }
}
