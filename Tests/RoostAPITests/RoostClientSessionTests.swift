import Synchronization
import Testing

@testable import RoostClient

/// RoostClient's token session: however many requests are refused, and in whatever order their
/// 401s come back, the refresh token is spent once per expired access token.
@Suite("RoostClient session refresh")
struct RoostClientSessionTests {
    /// The refresh tokens the exchange was called with, in order.
    final class Calls: Sendable {
        let list = Mutex<[String]>([])
        func withLock<R>(_ body: (inout [String]) -> R) -> R { list.withLock { body(&$0) } }
    }

    /// A session whose exchange hands out `access-N` / `refresh-N` and counts its calls.
    static func session(calls: Calls, accept: Bool = true) -> Session {
        Session { refresh in
            let n = calls.withLock { c -> Int in
                c.append(refresh)
                return c.count
            }
            try? await Task.sleep(for: .milliseconds(50))
            return accept ? ("access-\(n)", "refresh-\(n)") : nil
        }
    }

    @Test("a 401 for a token already replaced retries with the new one, no second refresh")
    func refusedAfterReplacement() async throws {
        let calls = Calls()
        let session = Self.session(calls: calls)
        session.set(access: "access-0", refresh: "refresh-0")
        // The first request's 401: a refresh.
        #expect(try await session.refresh(refused: "access-0"))
        #expect(session.accessToken == "access-1")
        // A second request, sent with access-0 too, is refused after the refresh finished.
        #expect(try await session.refresh(refused: "access-0"))
        #expect(session.accessToken == "access-1")
        #expect(calls.withLock { $0 } == ["refresh-0"])
        // The new token expiring in its turn is a new refresh, with the new refresh token.
        #expect(try await session.refresh(refused: "access-1"))
        #expect(session.accessToken == "access-2" && session.refreshToken == "refresh-2")
        #expect(calls.withLock { $0 } == ["refresh-0", "refresh-1"])
    }

    @Test("twenty requests refused together share one refresh")
    func concurrentRefusals() async throws {
        let calls = Calls()
        let session = Self.session(calls: calls)
        session.set(access: "access-0", refresh: "refresh-0")
        let results = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<20 { group.addTask { try await session.refresh(refused: "access-0") } }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(results.count == 20 && results.allSatisfy { $0 })
        #expect(calls.withLock { $0 } == ["refresh-0"])
        #expect(session.accessToken == "access-1")
    }

    @Test("a refused refresh token ends the session; later 401s do not try again")
    func refusedRefresh() async throws {
        let calls = Calls()
        let session = Self.session(calls: calls, accept: false)
        session.set(access: "access-0", refresh: "refresh-0")
        #expect(try await session.refresh(refused: "access-0") == false)
        #expect(!session.isLoggedIn && session.refreshToken == nil)
        #expect(try await session.refresh(refused: "access-0") == false)
        #expect(calls.withLock { $0 } == ["refresh-0"])
    }
}
