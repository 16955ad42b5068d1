import Hummingbird
import NIOConcurrencyHelpers

/// A router group that also records each route it registers, so a test can hold the OpenAPI
/// document against the routes the server really has.
struct APIGroup {
    let group: RouterGroup<RoostRequestContext>
    let prefix: String
    let recorder: RouteRecorder

    typealias Handler = @Sendable (Request, RoostRequestContext) async throws -> Response

    func get(_ path: String, use handler: @escaping Handler) { add(.get, path, handler) }
    func post(_ path: String, use handler: @escaping Handler) { add(.post, path, handler) }
    func put(_ path: String, use handler: @escaping Handler) { add(.put, path, handler) }
    func patch(_ path: String, use handler: @escaping Handler) { add(.patch, path, handler) }
    func delete(_ path: String, use handler: @escaping Handler) { add(.delete, path, handler) }

    private func add(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
        recorder.add(method.rawValue, prefix + path)
        group.on(RouterPath(path), method: method, use: handler)
    }
}

/// The routes registered, as `METHOD /path/{param}`.
public final class RouteRecorder: Sendable {
    private let list = NIOLockedValueBox<[String]>([])

    public init() {}

    func add(_ method: String, _ path: String) { list.withLockedValue { $0.append("\(method) \(path)") } }

    /// Every route recorded so far.
    public var routes: [String] { list.withLockedValue { $0 } }
}
