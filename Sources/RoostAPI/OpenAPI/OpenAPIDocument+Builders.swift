import RoostJSON

/// The pieces operations are written with.
extension OpenAPIDocument {
    /// A query or path parameter.
    struct P {
        var name: String
        var location = "query"
        var schema: JSONValue = S.string
        var description = ""
        var required = false

        var json: JSONValue {
            S.obj([
                ("name", .string(name)), ("in", .string(location)), ("required", .bool(required || location == "path")),
                ("schema", schema),
                ("description", .string(description)),
            ])
        }
    }

    static func op(
        _ summary: String, tag: String, params: [P] = [], body: String? = nil, ok: (Int, String?) = (200, nil),
        auth: Bool = true,
        content: String = "application/json", validated: Bool = false, description: String? = nil
    ) -> JSONValue {
        var responses: [(String, JSONValue)] = []
        var success: [(String, JSONValue)] = [("description", .string("success"))]
        if let name = ok.1 { success.append(("content", S.obj([(content, S.obj([("schema", S.ref(name))]))]))) }
        // `validated`: an ETag on success, and 304 for a matching If-None-Match.
        let etag = S.obj([
            ("ETag", S.obj([("schema", S.string), ("description", .string("validator of this answer"))]))
        ])
        if validated { success.append(("headers", etag)) }
        responses.append(("\(ok.0)", S.obj(success)))
        if validated {
            responses.append(
                (
                    "304",
                    S.obj([("description", .string("not modified: the held answer is current")), ("headers", etag)])
                ))
        }
        responses.append(
            (
                "4XX",
                S.obj([
                    ("description", .string("client error")),
                    ("content", S.obj([("application/json", S.obj([("schema", S.ref("Error"))]))])),
                ])
            ))
        var members: [(String, JSONValue)] = [("summary", .string(summary)), ("tags", .array([.string(tag)]))]
        if let description { members.append(("description", .string(description))) }
        if !params.isEmpty { members.append(("parameters", .array(params.map(\.json)))) }
        if let body {
            members.append(
                (
                    "requestBody",
                    S.obj([
                        ("required", .bool(true)),
                        ("content", S.obj([("application/json", S.obj([("schema", S.ref(body))]))])),
                    ])
                ))
        }
        members.append(("responses", S.obj(responses)))
        if !auth { members.append(("security", .array([]))) }
        return S.obj(members)
    }
}
