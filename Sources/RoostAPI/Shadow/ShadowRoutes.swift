import HTTPTypes
import Hummingbird
import RoostCore
import RoostJSON
import RoostStore

/// Device shadows: read one (viewer), change its desired state (operator or above). The
/// version is the ETag; `If-Match` makes a change conditional (412 when it moved on).
struct ShadowRoutes {
    let api: RoostAPI

    func register(on group: APIGroup) {
        let devices = DeviceRoutes(api: api)
        group.get("/devices/{ref}/shadow") { request, context in
            let identity = try context.require(.viewer)
            let owner = Self.owner(try await devices.resolve(request, context, identity))
            return Self.answer(try await service().shadow(of: owner), of: owner)
        }
        group.put("/devices/{ref}/shadow/desired") { request, context in
            let identity = try context.require(.operator)
            let owner = Self.owner(try await devices.resolve(request, context, identity))
            let expected = try Self.ifMatch(request)
            let patch = try await JSONBody.object(request, context: context, limit: 64 << 10)
            do {
                let record = try await service().updateDesired(of: owner, patch: patch, ifVersion: expected)
                return Self.answer(record, of: owner)
            } catch ShadowError.versionMismatch(let current) {
                throw APIError(
                    .preconditionFailed, "version_mismatch",
                    "the shadow is at version \(current); read it again and retry",
                    details: ["version": String(current)])
            } catch ShadowError.tooLarge(let message) {
                throw APIError(.contentTooLarge, "too_large", message)
            } catch ShadowError.busy {
                throw APIError(.conflict, "busy", ShadowError.busy.description)
            }
        }
    }

    static func owner(_ device: DeviceRecord) -> ShadowOwner {
        ShadowOwner(id: device.id, tenant: device.tenant, uid: device.uid)
    }

    static func answer(_ record: ShadowRecord?, of owner: ShadowOwner) -> Response {
        var response = Response.json(.object(ShadowJSON.object(record, of: owner)))
        response.headers[.eTag] = "\"\(record?.version ?? 0)\""
        return response
    }

    /// `If-Match: "7"` (or `7`, or `*` for any version); nil without the header.
    static func ifMatch(_ request: Request) throws -> Int64? {
        guard let raw = request.headers[.ifMatch]?.trimmingCharacters(in: .whitespaces), !raw.isEmpty, raw != "*"
        else { return nil }
        var text = Substring(raw)
        if text.hasPrefix("W/") { text = text.dropFirst(2) }
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = text.dropFirst().dropLast() }
        guard let version = Int64(text), version >= 0 else {
            throw APIError.badRequest("If-Match must be the shadow's version as its ETag gives it, e.g. \"3\"")
        }
        return version
    }

    private func service() throws -> ShadowService {
        guard let shadows = api.shadows else {
            throw APIError(.serviceUnavailable, "unavailable", "this server keeps no shadows")
        }
        return shadows
    }
}
