import HTTPTypes
import Hummingbird
import NIOCore
import RoostJSON

/// Request bodies and responses as ``JSONValue``: the API parses with the same strict parser as
/// the ingest and names the field at fault in its errors.
struct JSONBody {
    let members: [String: JSONValue]

    /// The body as a JSON object; 400 when it is not JSON or not an object.
    static func read(_ request: Request, context: RoostRequestContext, limit: Int = 1 << 20) async throws -> JSONBody {
        var dict: [String: JSONValue] = [:]
        for m in try await object(request, context: context, limit: limit) { dict[m.key] = m.value }
        return JSONBody(members: dict)
    }

    /// The body as a JSON object's members in document order; 400 when it is not one.
    static func object(_ request: Request, context: RoostRequestContext, limit: Int = 1 << 20) async throws
        -> [JSONMember]
    {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch {
            throw APIError(.contentTooLarge, "too_large", "request body over \(limit) bytes")
        }
        guard let value = try? JSONParser.parse(buffer.readableBytesView) else {
            throw APIError.badRequest("the body is not valid JSON")
        }
        guard case .object(let members) = value else { throw APIError.badRequest("the body must be a JSON object") }
        return members
    }

    func string(_ key: String, required: Bool = false, maxLength: Int = 256) throws -> String? {
        guard let value = members[key], value != .null else {
            if required { throw APIError.invalid("\(key) is required", field: key) }
            return nil
        }
        guard case .string(let s) = value else { throw APIError.invalid("\(key) must be a string", field: key) }
        guard s.count <= maxLength else {
            throw APIError.invalid("\(key) is longer than \(maxLength) characters", field: key)
        }
        if required && s.isEmpty { throw APIError.invalid("\(key) must not be empty", field: key) }
        return s
    }

    /// A whole number that fits in 64 bits; 422 otherwise.
    func integer(_ key: String) throws -> Int64? {
        guard let value = members[key], value != .null else { return nil }
        guard case .number(let n) = value, n.isFinite, n == n.rounded(), abs(n) < 9.0e15 else {
            throw APIError.invalid("\(key) must be an integer", field: key)
        }
        return Int64(n)
    }

    func object(_ key: String) throws -> [JSONMember]? {
        guard let value = members[key], value != .null else { return nil }
        guard case .object(let m) = value else { throw APIError.invalid("\(key) must be an object", field: key) }
        return m
    }
}

extension Response {
    /// A JSON response.
    static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(string: value.jsonText)))
    }

    static func json(_ buffer: ByteBuffer, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
    }

    static var noContent: Response { Response(status: .noContent) }
}

extension JSONValue {
    /// Parses JSON text written by the server itself (stored data); `{}` if it is not JSON.
    static func stored(_ text: String) -> JSONValue {
        (try? JSONParser.parse(Array(text.utf8))) ?? .object([])
    }

    static func time(_ ms: Int64?) -> JSONValue {
        ms.map { .string(APITime.rfc3339($0)) } ?? .null
    }

    static func int(_ n: Int64?) -> JSONValue { n.map { .number(Double($0)) } ?? .null }
}
