import Foundation
import MQTTClient
import MQTTCore
import NIOCore
import SQLiteNIO
import Testing

/// HTTP ingest (seed 004) through `roost serve`, driven by Python's urllib.
@Suite("HTTP ingest")
struct HTTPIngestTests {
    static let script = """
        import json, sys, urllib.request, urllib.error
        port, key = sys.argv[1], sys.argv[2]
        def post(path, body, api_key=key):
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            req = urllib.request.Request(f'http://127.0.0.1:{port}/api/v1/{path}', data=data, method='POST')
            req.add_header('Content-Type', 'application/json')
            if api_key is not None:
                req.add_header('X-API-Key', api_key)
            try:
                with urllib.request.urlopen(req, timeout=10) as r:
                    return r.status, json.loads(r.read())
            except urllib.error.HTTPError as e:
                return e.code, json.loads(e.read())
        results = [
            post('ingest', {'msg_id': 'h1', 'ts': 1700000000000, 'temperature': 22.5, 'humidity': 40}),
            post('ingest', {'msg_id': 'h1', 'temperature': 99}),
            post('ingest/batch', [{'msg_id': 'b%d' % i, 'data': {'temperature': 20 + i}} for i in range(3)]),
            post('ingest', {'temperature': 1}, api_key=None),
            post('ingest', {'temperature': 1}, api_key='rk_wrong_key_1234567890'),
            post('ingest', b'not json'),
            post('ingest', {'msg_id': 'only-an-id'}),
            post('ingest/batch', [{'temperature': 1}, 'text']),
        ]
        print(json.dumps(results))
        """

    @Test("202 only after commit; 401, 400, 422 with the API's error shape; duplicates stored once")
    func ingest() async throws {
        let dir = try ServeProcessTests.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let creds = try await DeviceAccessTests.create(dir, tenant: "t0", uid: "esp32-1")
        let log = dir.appendingPathComponent("http.log")
        let server = try await ServeProcessTests.start(dataDir: dir, arguments: "--mqtt-port 0 --http-port 0")
        defer { kill(server.process.process.processIdentifier, SIGTERM) }
        var httpPort = ""
        try await eventually("the HTTP port in the log", within: 20) {
            let text = (try? String(contentsOf: server.log, encoding: .utf8)) ?? ""
            guard let range = text.range(of: "http listening on 127.0.0.1:") else { return false }
            httpPort = String(text[range.upperBound...].prefix { $0.isNumber })
            return !httpPort.isEmpty
        }
        _ = log
        let r = try await ExternalProcess.run("python3", ["-c", Self.script, httpPort, creds.api_key], timeout: 60)
        #expect(r.status == 0, "\(r.output)")
        let results = try JSONSerialization.jsonObject(with: Data(r.output.utf8)) as? [[Any]] ?? []
        let statuses = results.map { $0.first as? Int ?? 0 }
        #expect(statuses == [202, 202, 202, 401, 401, 400, 422, 422], "\(r.output)")
        let codes = results.compactMap { (($0.last as? [String: Any])?["error"] as? [String: Any])?["code"] as? String }
        #expect(codes == ["unauthorized", "unauthorized", "not_json", "no_fields", "not_object"], "\(r.output)")

        let db = try await SQLiteConnection.open(storage: .file(path: dir.appendingPathComponent("roost.sqlite").path))
        let rows = try await db.query("SELECT msg_id, data FROM telemetry ORDER BY received_at, msg_id", [])
        let latest = try await db.query("SELECT latest FROM devices WHERE uid = 'esp32-1'", [])
        try await db.close()
        #expect(rows.compactMap { $0.column("msg_id")?.string } == ["h1", "b0", "b1", "b2"])
        #expect(latest.first?.column("latest")?.string == "{\"temperature\":22,\"humidity\":40}")
    }
}
