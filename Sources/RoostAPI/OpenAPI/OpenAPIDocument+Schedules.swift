import RoostJSON
import RoostStore

/// Schedules' operations and schemas in the OpenAPI document.
extension OpenAPIDocument {
    static var schedulePaths: [(String, [(String, JSONValue)])] {
        let id = P(name: "id", location: "path", schema: S.integer, description: "the schedule's id")
        return [
            (
                "/api/v1/schedules",
                [
                    ("get", op("The tenant's schedules", tag: "schedules", params: [tenantParam], ok: (200, "ScheduleList"))),
                    (
                        "post",
                        op(
                            "Schedule a command (operator or above): once (at), every every_s seconds, or by a cron expression in tz",
                            tag: "schedules", body: "ScheduleCreate", ok: (201, "Schedule"))
                    ),
                ]
            ),
            (
                "/api/v1/schedules/{id}",
                [
                    ("get", op("A schedule and its next run", tag: "schedules", params: [id], ok: (200, "Schedule"))),
                    (
                        "patch",
                        op(
                            "Change a schedule (operator or above); fields not given keep their values",
                            tag: "schedules", params: [id], body: "ScheduleCreate", ok: (200, "Schedule"))
                    ),
                    ("delete", op("Delete a schedule and its runs (operator or above)", tag: "schedules", params: [id], ok: (204, nil))),
                ]
            ),
            (
                "/api/v1/schedules/{id}/runs",
                [
                    (
                        "get",
                        op(
                            "A schedule's runs, newest first", tag: "schedules",
                            params: [id, limit, P(name: "cursor", description: "next_cursor of the previous page")],
                            ok: (200, "ScheduleRunList"))
                    )
                ]
            ),
        ]
    }

    static var scheduleSchemas: [(String, JSONValue)] {
        let ref = S.obj([("oneOf", .array([S.string, S.integer]))])
        let bool = S.obj([("type", .string("boolean"))])
        return [
            (
                "ScheduleCreate",
                S.object([
                    ("name", S.string), ("device", ref), ("labels", S.anyObject), ("tenant", ref),
                    ("command", S.obj([("type", .string("string")), ("minLength", .number(1)), ("maxLength", .number(128))])),
                    ("params", S.anyObject), ("timeout_s", S.obj([("type", .string("integer")), ("minimum", .number(1))])),
                    ("at", S.time), ("every_s", S.obj([("type", .string("integer")), ("minimum", .number(1))])),
                    ("cron", S.string), ("tz", S.string), ("enabled", bool),
                ])
            ),
            (
                "Schedule",
                S.object(
                    [
                        ("id", S.integer), ("tenant", S.string), ("command", S.string), ("params", S.anyObject),
                        ("enabled", bool), ("next_run_at", S.nullableTime), ("last_run_at", S.nullableTime),
                        ("created_at", S.time),
                    ], required: ["id", "command", "enabled", "next_run_at"])
            ),
            (
                "ScheduleList",
                S.object([("items", S.array(S.ref("Schedule"))), ("next_cursor", S.nullableString)], required: ["items"])
            ),
            (
                "ScheduleRun",
                S.object(
                    [
                        ("id", S.integer), ("schedule", S.integer), ("due_at", S.time), ("at", S.time),
                        ("status", S.enumeration(ScheduleRunStatus.allCases.map(\.rawValue))),
                        ("commands", S.array(S.string)), ("detail", S.nullableString),
                    ], required: ["id", "schedule", "due_at", "status", "commands"])
            ),
            (
                "ScheduleRunList",
                S.object(
                    [("items", S.array(S.ref("ScheduleRun"))), ("next_cursor", S.nullableString)],
                    required: ["items", "next_cursor"])
            ),
        ]
    }
}
