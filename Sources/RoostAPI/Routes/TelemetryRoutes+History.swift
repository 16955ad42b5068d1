import HTTPTypes
import Hummingbird
import NIOCore
import RoostStore

/// `GET /devices/{ref}/telemetry`: keyset-paged history, newest or oldest first.
///
/// First pages are kept in ``HistoryCache`` and carry an ETag. Each request still asks the
/// store, in one lookup, whether the caller may see the device and what its data version is;
/// the page is read only when the version is not the one kept (or the one the client's
/// `If-None-Match` names, which is then answered 304).
extension TelemetryRoutes {
    func history(_ request: Request, _ context: RoostRequestContext) async throws -> Response {
        let identity = try context.require(.viewer)
        let query = Query(request: request)
        var q = HistoryQuery(device: 0, from: try query.time("from"), to: try query.time("to"))
        q.limit = try query.int("limit", default: 1000, range: 1...10_000)
        switch query.string("order") ?? "desc" {
        case "desc": q.ascending = false
        case "asc": q.ascending = true
        default: throw APIError.badRequest("order must be asc or desc", field: "order")
        }
        if let cursor = query.string("cursor") {
            let parts = cursor.split(separator: "_")
            guard parts.count == 2, let ts = Int64(parts[0]), let id = Int64(parts[1]) else {
                throw APIError.badRequest("cursor is not one this API gave", field: "cursor")
            }
            (q.afterTS, q.afterID) = (ts, id)
        }
        let keys = try Self.keys(query, required: false)
        switch query.string("include") {
        case nil: break
        case "payload": q.includePayload = true
        default: throw APIError.badRequest("include takes 'payload'", field: "include")
        }
        let render = HistoryResponse(keys: keys, includePayload: q.includePayload)
        let ifNoneMatch = request.headers[.ifNoneMatch]
        // A device id the caller may see: the lookup and the page in one step. Anything else
        // (a uid, an id of another tenant, a uid made of digits) goes through `resolve`.
        if let id = Int64(try context.parameters.require("ref")) {
            q.device = id
            let scope = context.scope(identity, requested: try await devices.requestedTenant(request, identity))
            if let answer = try await page(q, keys, tenantID: scope, ifNoneMatch, render) { return answer }
        }
        q.device = try await devices.resolve(request, context, identity).id
        guard let answer = try await page(q, keys, tenantID: nil, ifNoneMatch, render) else {
            throw APIError.notFound("device")
        }
        return answer
    }

    /// The answer for device `q.device` if tenant `tenantID` (any when nil) may see it.
    private func page(
        _ q: HistoryQuery, _ keys: [String]?, tenantID: Int64?, _ ifNoneMatch: String?, _ render: HistoryResponse
    ) async throws -> Response? {
        let cache = api.historyCache
        let key = q.afterTS == nil ? Self.cacheKey(q, keys) : nil
        let kept = key.flatMap { cache.lookup($0) }
        var clientVersion: Int64?
        if let key, let ifNoneMatch { clientVersion = HistoryCache.version(ifNoneMatch: ifNoneMatch, for: key) }
        // The version to ask about: the kept answer's, else the one the client holds.
        let known = kept?.version ?? clientVersion
        guard let read = try await api.store.historyPage(q, tenantID: tenantID, unlessVersion: known) else {
            return nil
        }
        switch read {
        case .unchanged:
            // Only answered for the version asked about, which takes a key; the client's copy,
            // else the kept one (the only other source of `known`).
            guard let key, let known else {
                throw APIError(.internalServerError, "internal", "the store found a version it was not asked about")
            }
            let etag = HistoryCache.etag(key, version: known)
            guard clientVersion != known, let kept else {
                cache.count(.notModified)
                return Self.notModified(etag)
            }
            cache.count(.hit)
            return Self.answer(kept.body, etag: etag)
        case .page(let page, let version):
            cache.count(.miss)
            let body = render.body(page, limit: q.limit)
            guard let key, let version else { return Response.json(body) }
            cache.store(key, HistoryCache.Entry(version: version, body: body))
            let etag = HistoryCache.etag(key, version: version)
            if clientVersion == version { return Self.notModified(etag) }
            return Self.answer(body, etag: etag)
        }
    }

    /// Every parameter that shapes a first page, in one order.
    static func cacheKey(_ q: HistoryQuery, _ keys: [String]?) -> HistoryCache.Key {
        let from = q.from.map(String.init) ?? ""
        let to = q.to.map(String.init) ?? ""
        let projection = keys?.joined(separator: ",") ?? "*"
        let shape = "\(q.ascending ? "asc" : "desc")|\(q.limit)|\(from)|\(to)|\(q.includePayload)|\(projection)"
        return HistoryCache.Key(device: q.device, query: shape)
    }

    private static func answer(_ body: ByteBuffer, etag: String) -> Response {
        var response = Response.json(body)
        response.headers[.eTag] = etag
        // Clients may keep the page but must ask again (If-None-Match) before using it.
        response.headers[.cacheControl] = "private, no-cache"
        return response
    }

    private static func notModified(_ etag: String) -> Response {
        Response(status: .notModified, headers: [.eTag: etag, .cacheControl: "private, no-cache"])
    }
}
