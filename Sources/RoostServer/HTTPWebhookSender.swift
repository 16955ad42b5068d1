import AsyncHTTPClient
import NIOCore
import RoostCore

/// Alert webhooks over AsyncHTTPClient's shared client (HTTP and HTTPS, the system's trust roots).
struct HTTPWebhookSender: WebhookSender {
    func post(url: String, body: [UInt8], headers: [(String, String)], timeout: Duration) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        request.body = .bytes(ByteBuffer(bytes: body))
        let (seconds, attos) = timeout.components
        let response = try await HTTPClient.shared.execute(
            request, timeout: .milliseconds(seconds * 1000 + attos / 1_000_000_000_000_000))
        // The answer's body is read (so the connection can be reused) and dropped.
        _ = try await response.body.collect(upTo: 64 << 10)
        return Int(response.status.code)
    }
}
