import Foundation

/// One file of the dashboard, ready to serve.
public struct DashboardAsset: Sendable {
    public let bytes: [UInt8]
    public let contentType: String
    /// A strong validator: a hash of the bytes.
    public let etag: String
    /// Versioned vendor files never change under their name and may be cached for a year; the
    /// dashboard's own files are revalidated (a 304 costs a round trip and no bytes).
    public let immutable: Bool
}

/// The dashboard: plain HTML, CSS and ES modules (no build step), shipped as this target's
/// resources and read once at start. `/` is the page; everything else is under `/assets/`.
public enum DashboardAssets {
    /// Files by the path they are served at.
    public static let all: [String: DashboardAsset] = load()

    /// The Content-Security-Policy of every dashboard response: no inline script, no style
    /// sheet but its own, nothing from elsewhere. Style attributes are allowed (`style-src-attr`):
    /// the chart library positions its canvases and legend with them, and they cannot run code.
    public static let contentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; style-src-elem 'self'; "
        + "style-src-attr 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; "
        + "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

    static func load() -> [String: DashboardAsset] {
        guard let root = Bundle.module.resourceURL?.appendingPathComponent("Assets"),
            let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey])
        else { return [:] }
        var out: [String: DashboardAsset] = [:]
        for case let url as URL in walker {
            guard (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true,
                let data = try? Data(contentsOf: url)
            else { continue }
            let relative = String(url.standardizedFileURL.path.dropFirst(root.standardizedFileURL.path.count))
            let bytes = [UInt8](data)
            let asset = DashboardAsset(
                bytes: bytes, contentType: contentType(url.pathExtension), etag: "\"\(hash(bytes))\"",
                immutable: relative.hasPrefix("/vendor/"))
            out[relative == "/index.html" ? "/" : "/assets" + relative] = asset
        }
        return out
    }

    static func contentType(_ ext: String) -> String {
        switch ext {
        case "html": "text/html; charset=utf-8"
        case "js": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "json": "application/json"
        default: "text/plain; charset=utf-8"
        }
    }

    /// FNV-1a, 64 bits, as hex: enough to tell versions of a file apart.
    static func hash(_ bytes: [UInt8]) -> String {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes {
            h ^= UInt64(b)
            h = h &* 0x100_0000_01b3
        }
        return String(h, radix: 16)
    }
}
