import HTTPTypes
import Hummingbird
import NIOCore
import RoostJSON

/// Query parameters with clear errors.
struct Query {
    let request: Request

    func string(_ name: String) -> String? {
        request.uri.queryParameters[Substring(name)].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
    }

    func int(_ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = string(name) else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw APIError.badRequest(
                "\(name) must be an integer in \(range.lowerBound)...\(range.upperBound)", field: name)
        }
        return n
    }

    /// RFC 3339 or epoch milliseconds.
    func time(_ name: String) throws -> Int64? {
        guard let text = string(name) else { return nil }
        guard let ms = APITime.parse(text), APITime.range.contains(ms) else {
            throw APIError.badRequest(
                "\(name) must be an RFC 3339 time or epoch milliseconds (years 1 to 9999)", field: name)
        }
        return ms
    }
}
