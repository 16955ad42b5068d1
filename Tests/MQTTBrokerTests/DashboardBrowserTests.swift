import Foundation
#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif
import Testing

/// The dashboard in a real headless Chromium driven by Selenium, against a running server, with
/// a paho-mqtt device: Peers/dashboard_peer.py walks a person's path through it. Screenshots go
/// to `test-artifacts/dashboard/` at the package root (docs/dashboard.md).
@Suite("Dashboard in Chromium")
struct DashboardBrowserTests {
    static var screenshots: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("test-artifacts/dashboard").path
    }

    @Test("log in, watch a device live, command it, acknowledge an alert, log out; a viewer's view; no console errors")
    func walkThrough() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let result = try await ExternalProcess.run(
            "python3",
            [
                peerScript("dashboard_peer.py"), "--http-port", "\(server.httpPort)", "--mqtt-port", "\(server.mqttPort)",
                "--screenshots", Self.screenshots,
            ], timeout: 120)
        #expect(result.status == 0 && !result.timedOut, "\(result.output)")
    }

    @Test("assets: ETags and 304, cache headers, a strict CSP, first load small")
    func assets() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        // What the page loads first: everything index.html names (modules preloaded at once).
        let index = try await URLSession.shared.data(from: URL(string: "http://127.0.0.1:\(server.httpPort)/")!).0
        let html = String(decoding: index, as: UTF8.self)
        let named = Set(html.matches(of: /(?:href|src)="(\/assets\/[^"]+)"/).map { String($0.output.1) })
        let preloaded = Set(html.matches(of: /rel="modulepreload" href="\/assets\/([^"]+)"/).map { String($0.output.1) })
        let assets = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Sources/RoostDashboard/Assets").standardizedFileURL
        let modules = Set(try FileManager.default.contentsOfDirectory(atPath: assets.path).filter { $0.hasSuffix(".js") })
        #expect(preloaded == modules, "index.html preloads \(preloaded.sorted()), the modules are \(modules.sorted())")
        var total = 0
        for path in ["/"] + named.sorted() {
            let url = URL(string: "http://127.0.0.1:\(server.httpPort)\(path)")!
            let (data, response) = try await URLSession.shared.data(from: url)
            let http = try #require(response as? HTTPURLResponse)
            #expect(http.statusCode == 200, "\(path)")
            let csp = http.value(forHTTPHeaderField: "Content-Security-Policy") ?? ""
            let script = csp.split(separator: ";").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix("script-src") }
            #expect(script?.trimmingCharacters(in: .whitespaces) == "script-src 'self'", "\(path): \(csp)")
            #expect(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"))
            #expect(http.value(forHTTPHeaderField: "Cache-Control") == "no-cache")
            let etag = try #require(http.value(forHTTPHeaderField: "ETag"))
            var again = URLRequest(url: url)
            again.setValue(etag, forHTTPHeaderField: "If-None-Match")
            again.cachePolicy = .reloadIgnoringLocalCacheData
            let (_, second) = try await URLSession.shared.data(for: again)
            #expect((second as? HTTPURLResponse)?.statusCode == 304, "\(path)")
            total += data.count
        }
        // The first load before the chart library (which loads with a device page).
        #expect(total < 100_000, "first load is \(total) bytes")
        let vendor = URL(string: "http://127.0.0.1:\(server.httpPort)/assets/vendor/dygraph-2.2.1.min.js")!
        let (_, response) = try await URLSession.shared.data(from: vendor)
        #expect((response as? HTTPURLResponse)?.value(forHTTPHeaderField: "Cache-Control")?.contains("immutable") == true)
    }
}
