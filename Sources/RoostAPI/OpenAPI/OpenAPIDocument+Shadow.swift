import RoostJSON

/// The device shadow's operations and schemas in the OpenAPI document.
extension OpenAPIDocument {
    static var shadowPaths: [(String, [(String, JSONValue)])] {
        let ifMatch = P(
            name: "If-Match", location: "header",
            description: "the version (ETag) the change expects; 412 when the shadow has moved on")
        return [
            (
                "/api/v1/devices/{ref}/shadow",
                [
                    (
                        "get",
                        op(
                            "A device's shadow: desired, reported, their delta, version (also the ETag)",
                            tag: "shadow", params: [refParam, tenantParam], ok: (200, "Shadow"))
                    )
                ]
            ),
            (
                "/api/v1/devices/{ref}/shadow/desired",
                [
                    (
                        "put",
                        op(
                            "Merge into the desired state (operator or above; null deletes a key); the delta is published to the device",
                            tag: "shadow", params: [refParam, tenantParam, ifMatch], body: "ShadowPatch",
                            ok: (200, "Shadow"))
                    )
                ]
            ),
        ]
    }

    static var shadowSchemas: [(String, JSONValue)] {
        [
            ("ShadowPatch", S.anyObject),
            (
                "Shadow",
                S.object(
                    [
                        ("device", S.integer), ("uid", S.string), ("tenant", S.string), ("desired", S.anyObject),
                        ("reported", S.anyObject), ("delta", S.anyObject), ("version", S.integer),
                        ("metadata", S.anyObject), ("updated_at", S.nullableTime),
                    ],
                    required: ["device", "uid", "desired", "reported", "delta", "version"])
            ),
        ]
    }
}
