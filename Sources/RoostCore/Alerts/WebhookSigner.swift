public import Crypto
import Foundation

/// Webhook signatures, Stripe's scheme: `X-Roost-Signature: t=<unix seconds>,v1=<hex>` where
/// the hex is HMAC-SHA256 with the rule's secret over `"<t>.<body>"`. A receiver recomputes it
/// and refuses stale timestamps (replays).
public enum WebhookSigner {
    /// The signature header's value for `body` sent at `timestamp` (unix seconds).
    public static func signature(body: [UInt8], secret: String, timestamp: Int64) -> String {
        var message = Array("\(timestamp).".utf8)
        message += body
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Array(secret.utf8)))
        return "t=\(timestamp),v1=" + mac.map { String(format: "%02x", $0) }.joined()
    }

    /// Whether `header` signs `body` with `secret`, at most `tolerance` seconds from `now`.
    public static func verify(header: String, body: [UInt8], secret: String, now: Int64, tolerance: Int64 = 300)
        -> Bool
    {
        var timestamp: Int64?
        var given: String?
        for part in header.split(separator: ",") {
            if part.hasPrefix("t=") { timestamp = Int64(part.dropFirst(2)) }
            if part.hasPrefix("v1=") { given = String(part.dropFirst(3)) }
        }
        guard let timestamp, let given, abs(now - timestamp) <= tolerance else { return false }
        let expected = signature(body: body, secret: secret, timestamp: timestamp)
        let want = Array(expected.utf8.suffix(64))
        let have = Array(given.utf8)
        guard want.count == have.count else { return false }
        var diff: UInt8 = 0
        for (a, b) in zip(want, have) { diff |= a ^ b }
        return diff == 0
    }
}
