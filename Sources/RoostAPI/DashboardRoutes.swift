import HTTPTypes
import Hummingbird
import NIOCore
import RoostDashboard

/// Serves the dashboard at `/` and its files under `/assets/`, with ETags (304 on a match),
/// cache headers and a strict Content-Security-Policy. The dashboard uses only the public API
/// and the realtime WebSocket.
enum DashboardRoutes {
    static func register(on router: Router<RoostRequestContext>) {
        for (path, asset) in DashboardAssets.all {
            router.get(RouterPath(path)) { request, _ in response(asset, request) }
        }
    }

    static func response(_ asset: DashboardAsset, _ request: Request) -> Response {
        var headers: HTTPFields = [
            .contentType: asset.contentType,
            .eTag: asset.etag,
            .cacheControl: asset.immutable ? "public, max-age=31536000, immutable" : "no-cache",
            HTTPField.Name("Content-Security-Policy")!: DashboardAssets.contentSecurityPolicy,
            HTTPField.Name("X-Content-Type-Options")!: "nosniff",
            HTTPField.Name("Referrer-Policy")!: "no-referrer",
        ]
        if let match = request.headers[.ifNoneMatch], match.split(separator: ",").contains(where: {
            $0.trimmingCharacters(in: .whitespaces) == asset.etag
        }) {
            headers[.contentType] = nil
            return Response(status: .notModified, headers: headers)
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: asset.bytes)))
    }
}
