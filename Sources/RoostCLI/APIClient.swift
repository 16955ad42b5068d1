import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// Roost's REST API as the CLI uses it: JSON in and out, the stored session's access token,
/// refreshed once on a 401 (the new pair saved), and failures as ``CLIError``s that say what to do.
final class APIClient: @unchecked Sendable {
    /// The server's base URL, e.g. `http://127.0.0.1:8080`.
    let server: String
    /// A fixed token (`ROOST_TOKEN`, an API key): used as is, never refreshed.
    private let fixedToken: String?
    private var session: Credentials.Session?

    /// An answer: status, headers and the body.
    struct Reply {
        var status: Int
        var headers: HTTPHeaders
        var body: ByteBuffer

        /// The body as JSON (nil when it is not JSON).
        var json: Any? { try? JSONSerialization.jsonObject(with: Data(body.readableBytesView), options: [.fragmentsAllowed]) }
        /// The body as a JSON object (empty when it is not one).
        var object: [String: Any] { json as? [String: Any] ?? [:] }
    }

    init(server: String, session: Credentials.Session?, fixedToken: String? = nil) {
        self.server = server
        self.session = session
        self.fixedToken = fixedToken
    }

    /// The client for a command: `--server` / `ROOST_SERVER` / the last login, with its session
    /// (or `ROOST_TOKEN`). `needsLogin`: fail with exit 4 when there is no token at all.
    static func make(_ options: ServerOptions, needsLogin: Bool = true) throws -> APIClient {
        let credentials = try Credentials.load()
        let server = options.resolved(credentials)
        let token = ProcessInfo.processInfo.environment["ROOST_TOKEN"].flatMap { $0.isEmpty ? nil : $0 }
        let session = credentials.servers[server]
        if needsLogin && token == nil && session == nil {
            throw CLIError.auth("not logged in to \(server): run `roost login \(server)` (or set ROOST_TOKEN)")
        }
        return APIClient(server: server, session: session, fixedToken: token)
    }

    /// The token requests carry now.
    var token: String? { fixedToken ?? session?.accessToken }

    /// Sends a request; `body` is encoded as JSON. Answers 2xx and 3xx as they are; turns
    /// 4xx/5xx into a ``CLIError`` with the server's message (404 → 3, 401/403 → 4).
    @discardableResult
    func send(_ method: HTTPMethod, _ path: String, body: Any? = nil, authenticated: Bool = true) async throws -> Reply {
        var reply = try await raw(method, path, body: body, authenticated: authenticated)
        if reply.status == 401, authenticated, fixedToken == nil, try await refresh() {
            reply = try await raw(method, path, body: body, authenticated: true)
        }
        guard reply.status < 400 else { throw Self.failure(reply, method: method, path: path) }
        return reply
    }

    /// Sends without judging the status.
    func raw(_ method: HTTPMethod, _ path: String, body: Any? = nil, authenticated: Bool = true) async throws -> Reply {
        var request = HTTPClientRequest(url: server + path)
        request.method = method
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "roost-cli")
        if authenticated, let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        if let body {
            let data = try JSONSerialization.data(withJSONObject: body)
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: data))
        }
        let response = try await execute(request)
        let bytes = try await response.body.collect(upTo: 64 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: bytes)
    }

    /// Executes a request whose body the caller reads (streaming); network failures explained.
    func execute(_ request: HTTPClientRequest, timeout: TimeAmount = .seconds(60)) async throws -> HTTPClientResponse {
        do {
            return try await Self.http.execute(request, timeout: timeout)
        } catch {
            throw CLIError.failure("cannot reach \(server): is `roost serve` running? (\(Self.describe(error)))")
        }
    }

    /// The process's HTTP client. A server that is down fails at once (no retried
    /// connection attempts until the deadline, AsyncHTTPClient's default) so the user hears it.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration()
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.timeout.connect = .seconds(10)
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }()

    /// A request for `path` carrying the session's token (for streaming callers).
    func request(_ path: String) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: server + path)
        if let token { request.headers.add(name: "Authorization", value: "Bearer \(token)") }
        request.headers.add(name: "User-Agent", value: "roost-cli")
        return request
    }

    /// Trades the refresh token for a new pair and saves it. False when there is nothing to
    /// refresh with; throws "log in again" when the server refuses it.
    func refresh() async throws -> Bool {
        guard fixedToken == nil, let session else { return false }
        let reply = try await raw(.POST, "/api/v1/auth/refresh", body: ["refresh_token": session.refreshToken], authenticated: false)
        guard reply.status == 200, let access = reply.object["access_token"] as? String,
            let refresh = reply.object["refresh_token"] as? String
        else {
            throw CLIError.auth("token expired: run `roost login \(server)`")
        }
        let renewed = Credentials.Session(email: session.email, accessToken: access, refreshToken: refresh)
        self.session = renewed
        var credentials = try Credentials.load()
        credentials.servers[server] = renewed
        try credentials.save()
        return true
    }

    /// The error a failed answer means, with the server's own message.
    static func failure(_ reply: Reply, method: HTTPMethod, path: String) -> CLIError {
        let error = reply.object["error"] as? [String: Any]
        let message = (error?["message"] as? String) ?? "HTTP \(reply.status) for \(method) \(path)"
        switch reply.status {
        case 401: return .auth("\(message): run `roost login`")
        case 403: return .auth(message)
        case 404: return .notFound(message)
        default: return .failure(message)
        }
    }

    private static func describe(_ error: any Error) -> String {
        let text = String(describing: error)
        return text.count > 160 ? String(text.prefix(160)) + "…" : text
    }
}

/// Path segments and query values escaped for a URL.
func escaped(_ text: String) -> String {
    var allowed = CharacterSet.alphanumerics
    allowed.insert(charactersIn: "-._~")
    return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? text
}
