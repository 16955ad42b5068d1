public import HTTPTypes
public import Hummingbird
import Logging
import NIOCore
import RoostJSON

/// An error the API answers with: a status and the one error shape of the API,
/// `{"error":{"code","message","details"}}`.
public struct APIError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var message: String
    public var details: [String: String]
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status, _ code: String, _ message: String, details: [String: String] = [:],
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    /// The response: the status, `{"error":{"code","message","details"}}` and the extra headers.
    public func response() -> Response {
        let details = JSONValue.object(details.sorted { $0.key < $1.key }.map { JSONMember($0.key, .string($0.value)) })
        let body = JSONValue.object([
            JSONMember(
                "error",
                .object([
                    JSONMember("code", .string(code)), JSONMember("message", .string(message)),
                    JSONMember("details", details),
                ]))
        ])
        var response = Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body.jsonText)))
        for field in headers { response.headers.append(field) }
        return response
    }

    static func notFound(_ what: String) -> APIError { APIError(.notFound, "not_found", "\(what) not found") }
    static func badRequest(_ message: String, field: String? = nil) -> APIError {
        APIError(.badRequest, "bad_request", message, details: field.map { ["field": $0] } ?? [:])
    }
    static func invalid(_ message: String, field: String) -> APIError {
        APIError(.unprocessableContent, "invalid", message, details: ["field": field])
    }
}
