import Foundation
import RoostJSON

/// The API's OpenAPI 3.1 document: the committed file `Sources/RoostAPI/openapi.json`, served
/// as it is at `/openapi.json` and the source the Swift client (RoostClient) is generated from.
/// A test holds it against the router: every route documented, every documented route answered.
public enum OpenAPIDocument {
    /// The document's text, read once from the target's resources.
    public static let json: String = {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else {
            // A build without its resources is broken: say so at the first request.
            return #"{"openapi":"3.1.0","info":{"title":"Roost","version":"missing"},"paths":{}}"#
        }
        return text
    }()

    /// `METHOD /path` of every documented operation.
    public static var operations: [String] {
        guard case .object(let members)? = try? JSONParser.parse(json), case .object(let paths)? = members.first(where: { $0.key == "paths" })?.value
        else { return [] }
        return paths.flatMap { path in
            guard case .object(let methods) = path.value else { return [String]() }
            return methods.map { "\($0.key.uppercased()) \(path.key)" }
        }
    }
}
