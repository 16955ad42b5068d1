import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import RoostCore
import RoostJSON
import RoostStore

/// Turns every error into the API's error shape: Hummingbird's own (unknown route 404, wrong
/// method 405, body too large 413), ours, and anything unexpected (500, logged, no details out).
/// Also returns the request id in `X-Request-ID`.
struct ErrorShapeMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let failure as APIError {
            response = failure.response()
        } catch let refused as CommandError {
            response = APIError.invalid(refused.message, field: refused.field).response()
        } catch StoreError.limitReached(let what) {
            response = APIError(.tooManyRequests, "limit_reached", what).response()
        } catch StoreError.notFound(let what) {
            response = APIError.notFound(what).response()
        } catch let error as HTTPError {
            let code =
                switch error.status {
                case .notFound: "not_found"
                case .methodNotAllowed: "method_not_allowed"
                case .contentTooLarge: "too_large"
                case .unauthorized: "unauthorized"
                default: error.status.code < 500 ? "bad_request" : "internal"
                }
            response = APIError(error.status, code, error.body ?? error.status.reasonPhrase).response()
        } catch let error as any HTTPResponseError where error.status.code < 500 {
            response = APIError(error.status, "bad_request", error.status.reasonPhrase).response()
        } catch is DecodingError {
            response = APIError(
                .badRequest, "bad_request", "the request body does not match what this call takes").response()
        } catch {
            context.logger.error("request failed: \(error)")
            response = APIError(
                .internalServerError, "internal", "internal error; see the server log for request \(context.id)").response()
        }
        response.headers[HTTPField.Name("X-Request-ID")!] = context.id
        return response
    }
}
