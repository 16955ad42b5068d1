public import HTTPTypes
public import Hummingbird
import Logging
import NIOCore
import RoostCore

/// An error the API answers with: a status and the one error shape of the API,
/// `{"error":{"code","message","details"}}`.
public struct APIFailure: Error, HTTPResponseError, Sendable {
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
        var response = APIError.response(status, code, message, details: details)
        for field in headers { response.headers.append(field) }
        return response
    }

    static func notFound(_ what: String) -> APIFailure { APIFailure(.notFound, "not_found", "\(what) not found") }
    static func badRequest(_ message: String, field: String? = nil) -> APIFailure {
        APIFailure(.badRequest, "bad_request", message, details: field.map { ["field": $0] } ?? [:])
    }
    static func invalid(_ message: String, field: String) -> APIFailure {
        APIFailure(.unprocessableContent, "invalid", message, details: ["field": field])
    }
}

/// Builds error responses in the API's shape.
enum APIError {
    static func response(
        _ status: HTTPResponse.Status, _ code: String, _ message: String, details: [String: String] = [:]
    ) -> Response {
        let details = JSONValue.object(details.sorted { $0.key < $1.key }.map { JSONMember($0.key, .string($0.value)) })
        let body = JSONValue.object([
            JSONMember(
                "error",
                .object([
                    JSONMember("code", .string(code)), JSONMember("message", .string(message)),
                    JSONMember("details", details),
                ]))
        ])
        return Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: body.jsonText)))
    }
}

/// Turns every error into the API's error shape: Hummingbird's own (unknown route 404, wrong
/// method 405, body too large 413), ours, and anything unexpected (500, logged, no details out).
/// Also returns the request id in `X-Request-ID`.
struct ErrorShapeMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let failure as APIFailure {
            response = try failure.response(from: request, context: context)
        } catch let error as HTTPError {
            let code =
                switch error.status {
                case .notFound: "not_found"
                case .methodNotAllowed: "method_not_allowed"
                case .contentTooLarge: "too_large"
                case .unauthorized: "unauthorized"
                default: error.status.code < 500 ? "bad_request" : "internal"
                }
            response = APIError.response(error.status, code, error.body ?? error.status.reasonPhrase)
        } catch let error as any HTTPResponseError where error.status.code < 500 {
            response = APIError.response(error.status, "bad_request", error.status.reasonPhrase)
        } catch is DecodingError {
            response = APIError.response(
                .badRequest, "bad_request", "the request body does not match what this call takes")
        } catch {
            context.logger.error("request failed: \(error)")
            response = APIError.response(
                .internalServerError, "internal", "internal error; see the server log for request \(context.id)")
        }
        response.headers[HTTPField.Name("X-Request-ID")!] = context.id
        return response
    }
}
