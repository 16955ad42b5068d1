import RoostJSON

/// The external broker's HTTP authentication and ACL routes in the OpenAPI document.
extension OpenAPIDocument {
    static var brokerAuthPaths: [(String, [(String, JSONValue)])] {
        let emqx = "EMQX 5 HTTP authentication/authorization. The caller is the broker: `Authorization: Bearer` with broker_auth.token when one is set, else loopback only."
        func goAuth(_ summary: String, body: String) -> JSONValue {
            S.obj([
                ("summary", .string(summary)), ("tags", .array([.string("broker")])),
                ("description", .string("mosquitto-go-auth's HTTP backend: 200 allows, 403 denies (status and json response modes).")),
                (
                    "requestBody",
                    S.obj([
                        ("required", .bool(true)),
                        ("content", S.obj([("application/json", S.obj([("schema", S.ref(body))]))])),
                    ])
                ),
                (
                    "responses",
                    S.obj([
                        ("200", answer("allowed", "GoAuthAnswer")), ("403", answer("denied", "GoAuthAnswer")),
                        ("4XX", answer("a bad request or caller", "Error")),
                    ])
                ),
                ("security", .array([])),
            ])
        }
        return [
            (
                "/api/v1/broker/auth",
                [("post", op("May a device log in? (EMQX)", tag: "broker", body: "BrokerAuthRequest", ok: (200, "BrokerVerdict"), auth: false, description: emqx))]
            ),
            (
                "/api/v1/broker/acl",
                [("post", op("May a device publish or subscribe to a topic? (EMQX)", tag: "broker", body: "BrokerACLRequest", ok: (200, "BrokerVerdict"), auth: false, description: emqx))]
            ),
            ("/api/v1/broker/mosquitto/user", [("post", goAuth("May a device log in? (mosquitto-go-auth)", body: "BrokerAuthRequest"))]),
            ("/api/v1/broker/mosquitto/superuser", [("post", goAuth("Is the user a superuser? Devices never are (mosquitto-go-auth)", body: "BrokerAuthRequest"))]),
            ("/api/v1/broker/mosquitto/acl", [("post", goAuth("May a device use a topic? acc 1 read, 2 write, 3 both, 4 subscribe (mosquitto-go-auth)", body: "GoAuthACLRequest"))]),
        ]
    }

    private static func answer(_ description: String, _ schema: String) -> JSONValue {
        S.obj([
            ("description", .string(description)),
            ("content", S.obj([("application/json", S.obj([("schema", S.ref(schema))]))])),
        ])
    }

    static var brokerAuthSchemas: [(String, JSONValue)] {
        [
            (
                "BrokerAuthRequest",
                S.object(
                    [("username", S.string), ("password", S.string), ("clientid", S.string), ("peerhost", S.string)],
                    required: ["username"])
            ),
            (
                "BrokerACLRequest",
                S.object(
                    [
                        ("username", S.string), ("clientid", S.string), ("topic", S.string),
                        ("action", S.enumeration(["publish", "subscribe"])),
                    ],
                    required: ["username", "topic", "action"])
            ),
            (
                "GoAuthACLRequest",
                S.object(
                    [("username", S.string), ("clientid", S.string), ("topic", S.string), ("acc", S.integer)],
                    required: ["username", "topic", "acc"])
            ),
            (
                "BrokerVerdict",
                S.object([("result", S.enumeration(["allow", "deny"])), ("is_superuser", S.boolean)], required: ["result"])
            ),
            ("GoAuthAnswer", S.object([("ok", S.boolean), ("error", S.string)], required: ["ok"])),
        ]
    }
}
