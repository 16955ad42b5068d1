import Foundation

/// A request the server refused, with the API's error shape
/// (`{"error":{"code","message","details"}}`): `status` is the HTTP status, `code` the API's
/// code (`not_found`, `invalid`, `unauthorized`, `rate_limited`, …).
public struct RoostAPIError: Error, Sendable, Hashable, CustomStringConvertible {
    public var status: Int
    public var code: String
    public var message: String
    /// The field a validation error names, when it names one.
    public var field: String?

    public init(status: Int, code: String, message: String, field: String? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.field = field
    }

    /// Parses the API's error body; a body of another shape gives `http_STATUS`.
    init(status: Int, body: Data) {
        let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any]
        let error = object?["error"] as? [String: Any]
        self.status = status
        self.code = error?["code"] as? String ?? "http_\(status)"
        self.message = error?["message"] as? String ?? String(decoding: body.prefix(200), as: UTF8.self)
        self.field = (error?["details"] as? [String: Any])?["field"] as? String
    }

    /// Not logged in, or the session ended (401).
    public var isUnauthorized: Bool { status == 401 }
    /// The object does not exist or is not visible (404).
    public var isNotFound: Bool { status == 404 }

    public var description: String { "\(status) \(code): \(message)" }
}

/// What the client itself could not do (no answer, an answer it cannot read).
public enum RoostClientError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The server answered something the client did not expect.
    case unexpectedResponse(String)
    /// The server could not be reached.
    case unreachable(String)

    public var description: String {
        switch self {
        case .unexpectedResponse(let what): "unexpected response: \(what)"
        case .unreachable(let why): "cannot reach the server: \(why)"
        }
    }
}
