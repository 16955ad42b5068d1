import RoostJSON
import RoostStore

/// Alert rules' and alerts' operations and schemas in the OpenAPI document.
extension OpenAPIDocument {
    static var alertPaths: [(String, [(String, JSONValue)])] {
        let id = P(name: "id", location: "path", schema: S.integer, description: "the id")
        return [
            (
                "/api/v1/alert-rules",
                [
                    ("get", op("The tenant's alert rules", tag: "alerts", params: [tenantParam], ok: (200, "AlertRuleList"))),
                    (
                        "post",
                        op(
                            "Create an alert rule (operator or above): a threshold held for for_s, or no_data / offline for after_s",
                            tag: "alerts", body: "AlertRuleCreate", ok: (201, "AlertRule"))
                    ),
                ]
            ),
            (
                "/api/v1/alert-rules/{id}",
                [
                    ("get", op("An alert rule", tag: "alerts", params: [id], ok: (200, "AlertRule"))),
                    (
                        "patch",
                        op(
                            "Change an alert rule (operator or above); fields not given keep their values",
                            tag: "alerts", params: [id], body: "AlertRuleCreate", ok: (200, "AlertRule"))
                    ),
                    ("delete", op("Delete an alert rule and its alerts (operator or above)", tag: "alerts", params: [id], ok: (204, nil))),
                ]
            ),
            (
                "/api/v1/alerts",
                [
                    (
                        "get",
                        op(
                            "Alerts, newest first", tag: "alerts",
                            params: [
                                P(name: "state", schema: S.enumeration(AlertState.allCases.map(\.rawValue))),
                                P(name: "device", description: "a device's uid or id"),
                                P(name: "rule", schema: S.integer), limit,
                                P(name: "cursor", description: "next_cursor of the previous page"), tenantParam,
                            ], ok: (200, "AlertList"))
                    )
                ]
            ),
            (
                "/api/v1/alerts/{id}",
                [("get", op("An alert with its webhook deliveries", tag: "alerts", params: [id], ok: (200, "Alert")))]
            ),
            (
                "/api/v1/alerts/{id}/ack",
                [
                    (
                        "post",
                        op("Acknowledge an open alert (operator or above; 409 otherwise)", tag: "alerts", params: [id], ok: (200, "Alert"))
                    )
                ]
            ),
        ]
    }

    static var alertSchemas: [(String, JSONValue)] {
        let seconds = S.obj([("type", .string("integer")), ("minimum", .number(0)), ("maximum", .number(2_592_000))])
        let ref = S.obj([("oneOf", .array([S.string, S.integer]))])
        return [
            (
                "AlertRuleCreate",
                S.object([
                    ("name", S.obj([("type", .string("string")), ("minLength", .number(1)), ("maxLength", .number(128))])),
                    ("kind", S.enumeration(AlertRuleKind.allCases.map(\.rawValue))),
                    ("device", ref), ("labels", S.anyObject), ("tenant", ref),
                    ("key", S.string), ("op", S.enumeration(AlertOperator.allCases.map(\.rawValue))),
                    ("threshold", S.obj([("type", .string("number"))])), ("for_s", seconds), ("after_s", seconds),
                    ("webhook_url", S.nullableString), ("webhook_secret", S.string), ("enabled", S.obj([("type", .string("boolean"))])),
                ])
            ),
            (
                "AlertRule",
                S.object(
                    [
                        ("id", S.integer), ("name", S.string), ("tenant", S.string), ("kind", S.string),
                        ("webhook_secret_set", S.obj([("type", .string("boolean"))])),
                        ("enabled", S.obj([("type", .string("boolean"))])), ("created_at", S.time),
                    ], required: ["id", "name", "kind", "enabled"])
            ),
            (
                "AlertRuleList",
                S.object([("items", S.array(S.ref("AlertRule"))), ("next_cursor", S.nullableString)], required: ["items"])
            ),
            (
                "Alert",
                S.object(
                    [
                        ("id", S.integer), ("rule", S.integer), ("rule_name", S.string), ("device", S.integer),
                        ("uid", S.string), ("tenant", S.string),
                        ("state", S.enumeration(AlertState.allCases.map(\.rawValue))),
                        ("opened_at", S.time), ("acknowledged_at", S.nullableTime), ("resolved_at", S.nullableTime),
                    ], required: ["id", "rule", "device", "uid", "state", "opened_at"])
            ),
            (
                "AlertList",
                S.object(
                    [("items", S.array(S.ref("Alert"))), ("next_cursor", S.nullableString)], required: ["items", "next_cursor"])
            ),
        ]
    }
}
