import Foundation
import Hummingbird
import Logging
import RolloutStore
import RolloutEngine

/// Every error leaves as problem+json (RFC 9457): Hummingbird's own (no such route, body too
/// large) included. Anything unexpected is logged and answered 500 without internals.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = APIContext

    let routes: RouteTable

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            return try problem.response(from: request, context: context)
        } catch let error as StoreError {
            return try Problem.from(error).response(from: request, context: context)
        } catch let error as any HTTPResponseError {
            let detail = (error as? HTTPError)?.body ?? error.status.reasonPhrase
            let problem: Problem = switch error.status {
            case .notFound where !routes.methods(for: request.uri.path).isEmpty:
                Problem.methodNotAllowed(request.method.rawValue, allowed: routes.methods(for: request.uri.path))
            case .notFound:
                Problem(.notFound, "no-such-route", title: "No such route",
                        detail: "\(request.method) \(request.uri.path) is not a route of this API; see /v1/openapi.json", rule: "API-5")
            case .contentTooLarge:
                Problem(.contentTooLarge, "body-too-large", title: "Request body too large", detail: detail, rule: "API-5")
            default:
                Problem(error.status, "http-error", title: error.status.reasonPhrase, detail: detail, rule: "API-5")
            }
            return try problem.response(from: request, context: context)
        } catch {
            context.logger.error("\(request.method) \(request.uri.path) failed: \(error)")
            return try Problem(.internalServerError, "internal", title: "Internal error",
                               detail: "the server could not answer; the error is in its journal", rule: "API-6")
                .response(from: request, context: context)
        }
    }
}
