public import Foundation
public import OpenAPIRuntime
#if canImport(OpenAPIURLSession)
    import OpenAPIURLSession
#else
    import OpenAPIAsyncHTTPClient
#endif

/// A Roost server, for Swift apps: the typed API generated from the server's OpenAPI document
/// (``api``), logged in with ``login(email:password:)``, the session refreshed automatically,
/// refusals thrown as ``RoostAPIError``, and live events from the realtime WebSocket
/// (``live(devices:kinds:)``).
///
/// ```swift
/// let roost = RoostClient(server: URL(string: "http://127.0.0.1:8080")!)
/// try await roost.login(email: "ops@example.com", password: password)
/// for device in try await roost.devices() { print(device.uid, device.status) }
/// ```
public final class RoostClient: Sendable {
    /// The server's base URL (`http://host:8080`).
    public let server: URL
    /// Every operation of the API, generated (`Operations`, `Components.Schemas`). Requests
    /// carry the session; a refused one throws ``RoostAPIError`` (wrapped in OpenAPIRuntime's
    /// `ClientError`; ``call(_:)`` unwraps it).
    public let api: Client
    let session: Session

    /// A client of `server`. `transport` defaults to URLSession on Apple platforms and
    /// async-http-client elsewhere.
    public init(server: URL, transport: (any ClientTransport)? = nil) {
        self.server = server
        let transport = transport ?? Self.defaultTransport()
        let configuration = Configuration(dateTranscoder: RFC3339Transcoder())
        // The refresh goes through a client of its own, without the session's middleware.
        let plain = Client(serverURL: server, configuration: configuration, transport: transport)
        let session = Session { refresh in
            guard case .ok(let ok) = try? await plain.refresh(body: .json(.init(refreshToken: refresh))),
                let pair = try? ok.body.json
            else { return nil }
            return (pair.accessToken, pair.refreshToken)
        }
        self.session = session
        api = Client(
            serverURL: server, configuration: configuration, transport: transport,
            middlewares: [SessionMiddleware(session: session)])
    }

    static func defaultTransport() -> any ClientTransport {
        #if canImport(OpenAPIURLSession)
            URLSessionTransport()
        #else
            AsyncHTTPClientTransport()
        #endif
    }

    /// Whether a session is held (it may still be refused if it was revoked).
    public var isLoggedIn: Bool { session.isLoggedIn }

    /// The access token requests carry now (for a WebSocket of your own, say).
    public var accessToken: String? { session.accessToken }

    /// Logs in; throws ``RoostAPIError`` (401 `unauthorized`) for a wrong email or password.
    public func login(email: String, password: String) async throws {
        let pair = try await call { try await $0.login(body: .json(.init(email: email, password: password))).ok.body.json }
        session.set(access: pair.accessToken, refresh: pair.refreshToken)
    }

    /// Uses a token obtained elsewhere (an API key, or a saved pair).
    public func use(accessToken: String, refreshToken: String? = nil) {
        session.set(access: accessToken, refresh: refreshToken)
    }

    /// Ends the session on the server (its refresh token revoked) and here.
    public func logout() async throws {
        if let refresh = session.refreshToken {
            _ = try await call { try await $0.logout(body: .json(.init(refreshToken: refresh))) }
        }
        session.set(access: nil, refresh: nil)
    }

    /// Runs `body` with the generated client, throwing the server's refusal as the
    /// ``RoostAPIError`` itself rather than wrapped.
    public func call<T>(_ body: (Client) async throws -> T) async throws -> T {
        do {
            return try await body(api)
        } catch let error as ClientError {
            if let refusal = error.underlyingError as? RoostAPIError { throw refusal }
            if error.underlyingError is DecodingError || error.response != nil {
                throw RoostClientError.unexpectedResponse("\(error.operationID): \(error.underlyingError)")
            }
            throw RoostClientError.unreachable("\(error.underlyingError)")
        }
    }
}
