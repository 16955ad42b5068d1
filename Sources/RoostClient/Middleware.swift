import Foundation
import HTTPTypes
import OpenAPIRuntime

/// Adds the session's bearer token to every request but the auth ones; a 401 refreshes the
/// session once and repeats the request; any other 4xx/5xx becomes a ``RoostAPIError``.
struct SessionMiddleware: ClientMiddleware {
    let session: Session

    func intercept(
        _ request: HTTPRequest, body: HTTPBody?, baseURL: URL, operationID: String,
        next: @Sendable (HTTPRequest, HTTPBody?, URL) async throws -> (HTTPResponse, HTTPBody?)
    ) async throws -> (HTTPResponse, HTTPBody?) {
        let anonymous = ["login", "refresh", "health", "ready"].contains(operationID)
        // A body is read once: kept, so that a retried request can send it again.
        let bytes: Data? = if let body { try await Data(collecting: body, upTo: 64 << 20) } else { nil }
        func send(_ token: String?) async throws -> (HTTPResponse, HTTPBody?) {
            var request = request
            if let token, !anonymous { request.headerFields[.authorization] = "Bearer \(token)" }
            return try await next(request, bytes.map { HTTPBody($0) }, baseURL)
        }
        let token = session.accessToken
        var (response, responseBody) = try await send(token)
        if response.status.code == 401, !anonymous, try await session.refresh(refused: token) {
            (response, responseBody) = try await send(session.accessToken)
        }
        guard response.status.code >= 400 else { return (response, responseBody) }
        let data = if let responseBody { try await Data(collecting: responseBody, upTo: 1 << 20) } else { Data() }
        throw RoostAPIError(status: response.status.code, body: data)
    }
}

/// RFC 3339 times with or without fractional seconds (the server writes milliseconds).
struct RFC3339Transcoder: DateTranscoder {
    func encode(_ date: Date) throws -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    func decode(_ text: String) throws -> Date {
        if let date = try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text) { return date }
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "not an RFC 3339 time: \(text)"))
    }
}
