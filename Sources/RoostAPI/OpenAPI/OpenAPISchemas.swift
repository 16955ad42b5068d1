import RoostJSON

/// Small builders for the OpenAPI document: JSON Schema pieces as ``JSONValue``.
enum S {
    static func obj(_ members: [(String, JSONValue)]) -> JSONValue { .object(members.map { JSONMember($0.0, $0.1) }) }
    static func ref(_ name: String) -> JSONValue { obj([("$ref", .string("#/components/schemas/\(name)"))]) }
    static var string: JSONValue { obj([("type", .string("string"))]) }
    static var time: JSONValue { obj([("type", .string("string")), ("format", .string("date-time"))]) }
    static var nullableTime: JSONValue {
        obj([("type", .array([.string("string"), .string("null")])), ("format", .string("date-time"))])
    }
    static var nullableString: JSONValue { obj([("type", .array([.string("string"), .string("null")]))]) }
    static var integer: JSONValue { obj([("type", .string("integer"))]) }
    static var nullableInteger: JSONValue { obj([("type", .array([.string("integer"), .string("null")]))]) }
    static var number: JSONValue { obj([("type", .string("number"))]) }
    static var nullableNumber: JSONValue { obj([("type", .array([.string("number"), .string("null")]))]) }
    static var boolean: JSONValue { obj([("type", .string("boolean"))]) }
    static var anyObject: JSONValue { obj([("type", .string("object"))]) }
    static func array(_ items: JSONValue) -> JSONValue { obj([("type", .string("array")), ("items", items)]) }
    static func enumeration(_ values: [String]) -> JSONValue {
        obj([("type", .string("string")), ("enum", .array(values.map(JSONValue.string)))])
    }

    /// An object with these properties, the `required` ones listed.
    static func object(_ properties: [(String, JSONValue)], required: [String] = [], additional: Bool = true)
        -> JSONValue
    {
        var members: [(String, JSONValue)] = [("type", .string("object")), ("properties", obj(properties))]
        if !required.isEmpty { members.append(("required", .array(required.map(JSONValue.string)))) }
        if !additional { members.append(("additionalProperties", .bool(false))) }
        return obj(members)
    }

    static var roles: JSONValue { enumeration(["platform_admin", "tenant_admin", "operator", "viewer"]) }

    /// The components' schemas.
    static var schemaList: [(String, JSONValue)] {
        let credentials = object(
            [("mqtt_username", string), ("mqtt_password", string), ("api_key", string)],
            required: ["mqtt_username", "mqtt_password", "api_key"])
        let deviceProperties: [(String, JSONValue)] = [
            ("id", integer), ("uid", string), ("name", nullableString), ("tenant", string), ("tenant_id", integer),
            ("labels", obj([("type", .string("object")), ("additionalProperties", string)])),
            ("status", enumeration(["online", "offline", "unknown"])), ("status_at", nullableTime),
            ("last_seen", nullableTime),
            ("latest", object([("ts", nullableTime), ("data", anyObject)], required: ["ts", "data"])),
            ("created_at", time),
        ]
        let deviceRequired = ["id", "uid", "name", "tenant", "status", "last_seen", "latest"]
        return [
            (
                "Error",
                object(
                    [
                        (
                            "error",
                            object(
                                [("code", string), ("message", string), ("details", anyObject)],
                                required: ["code", "message", "details"])
                        )
                    ],
                    required: ["error"])
            ),
            ("Login", object([("email", string), ("password", string)], required: ["email", "password"])),
            ("Refresh", object([("refresh_token", string)], required: ["refresh_token"])),
            ("Logout", object([("refresh_token", string), ("all", boolean)])),
            (
                "TokenPair",
                object(
                    [
                        ("access_token", string), ("refresh_token", string), ("token_type", enumeration(["bearer"])),
                        ("expires_in", integer),
                    ],
                    required: ["access_token", "refresh_token", "token_type", "expires_in"])
            ),
            (
                "User",
                object(
                    [
                        ("id", integer), ("email", string), ("name", string), ("role", roles),
                        ("tenant_id", nullableInteger), ("created_at", time),
                    ],
                    required: ["id", "email", "name", "role", "tenant_id", "created_at"])
            ),
            ("UserList", object([("items", array(ref("User")))], required: ["items"])),
            (
                "UserCreate",
                object(
                    [
                        ("email", string), ("password", string), ("name", string), ("role", roles),
                        ("tenant_id", integer),
                    ], required: ["email", "password"])
            ),
            ("UserUpdate", object([("name", string), ("role", roles), ("password", string)])),
            (
                "Tenant",
                object(
                    [("id", integer), ("name", string), ("created_at", time)], required: ["id", "name", "created_at"])
            ),
            ("TenantList", object([("items", array(ref("Tenant")))], required: ["items"])),
            ("TenantCreate", object([("name", string)], required: ["name"])),
            (
                "APIKey",
                object(
                    [
                        ("id", integer), ("name", string), ("prefix", string), ("role", roles),
                        ("tenant_id", nullableInteger), ("created_at", time),
                    ],
                    required: ["id", "name", "prefix", "role", "created_at"])
            ),
            (
                "APIKeyCreated",
                object(
                    [
                        ("id", integer), ("name", string), ("prefix", string), ("role", roles),
                        ("tenant_id", nullableInteger),
                        ("created_at", time), ("key", string),
                    ], required: ["id", "key"])
            ),
            ("APIKeyList", object([("items", array(ref("APIKey")))], required: ["items"])),
            ("APIKeyCreate", object([("name", string), ("role", roles), ("tenant_id", integer)], required: ["name"])),
            ("Credentials", credentials),
            ("Device", object(deviceProperties, required: deviceRequired)),
            (
                "DeviceCreated",
                object(
                    deviceProperties + [("credentials", ref("Credentials"))], required: deviceRequired + ["credentials"]
                )
            ),
            (
                "DeviceList",
                object(
                    [("items", array(ref("Device"))), ("next_cursor", nullableString), ("total", integer)],
                    required: ["items", "next_cursor"])
            ),
            (
                "DeviceCreate",
                object(
                    [
                        ("uid", string), ("name", string),
                        ("labels", obj([("type", .string("object")), ("additionalProperties", string)])),
                        ("tenant", obj([("type", .array([.string("string"), .string("integer")]))])),
                    ], required: ["uid"])
            ),
            (
                "DeviceUpdate",
                object([
                    ("name", string), ("labels", obj([("type", .string("object")), ("additionalProperties", string)])),
                ])
            ),
            ("CredentialsRotated", object([("credentials", ref("Credentials"))], required: ["credentials"])),
            (
                "TelemetryItem",
                object(
                    [
                        ("ts", time), ("received_at", time), ("msg_id", nullableString), ("data", anyObject),
                        ("payload", obj([])),
                    ],
                    required: ["ts", "received_at", "msg_id", "data"])
            ),
            (
                "TelemetryPage",
                object(
                    [("items", array(ref("TelemetryItem"))), ("next_cursor", nullableString)],
                    required: ["items", "next_cursor"])
            ),
            ("Latest", object([("ts", nullableTime), ("data", anyObject)], required: ["ts", "data"])),
            (
                "Aggregate",
                object(
                    [
                        ("device", integer), ("from", time), ("to", time), ("bucket_ms", integer),
                        (
                            "buckets",
                            array(
                                object(
                                    [
                                        ("start", time),
                                        (
                                            "values",
                                            obj([
                                                ("type", .string("object")),
                                                (
                                                    "additionalProperties",
                                                    obj([
                                                        ("type", .string("object")),
                                                        ("additionalProperties", nullableNumber),
                                                    ])
                                                ),
                                            ])
                                        ),
                                    ], required: ["start", "values"]))
                        ),
                    ], required: ["buckets"])
            ),
            (
                "StatusEventList",
                object(
                    [
                        (
                            "items",
                            array(
                                object(
                                    [
                                        ("id", integer), ("online", boolean), ("at", time), ("reason", string),
                                        ("document", obj([("type", .array([.string("object"), .string("null")]))])),
                                    ],
                                    required: ["id", "online", "at", "reason"]))
                        )
                    ], required: ["items"])
            ),
            (
                "DeadLetterList",
                object(
                    [
                        (
                            "items",
                            array(
                                object(
                                    [
                                        ("id", integer), ("topic", string), ("received_at", time), ("reason", string),
                                        ("detail", string), ("payload", string),
                                    ],
                                    required: ["id", "topic", "received_at", "reason", "detail", "payload"]))
                        )
                    ], required: ["items"])
            ),
            (
                "Stats",
                object(
                    [
                        ("devices_total", integer), ("devices_online", integer), ("messages_total", integer),
                        ("messages_per_minute", number),
                        ("telemetry_stored", integer), ("duplicates", integer), ("dead_letters", integer),
                        ("ingest_queue_depth", integer),
                        ("ingest_lag_ms", number), ("mqtt_clients_connected", integer),
                    ], required: ["devices_total", "devices_online", "messages_total", "messages_per_minute"])
            ),
            ("Status", object([("status", string)], required: ["status"])),
            (
                "IngestAccepted",
                object([("accepted", integer), ("device", string), ("tenant", string)], required: ["accepted"])
            ),
        ]
    }
}
