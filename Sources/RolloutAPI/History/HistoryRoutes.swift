import Foundation
import Hummingbird
import RolloutStore
import RolloutEngine

/// The audit trail (`rolloutctl history`): decisions, notifications and API requests with their
/// actor (API-2). A partner reads its own or one of its organisations'; a customer its own.
struct HistoryRoutes {
    let services: Services

    func add(to router: Router<APIContext>) {
        router.get("/v1/history") { request, context in try await history(request, context) }
    }

    func history(_ request: Request, _ context: APIContext) async throws -> Response {
        let scope = try Scope(services, context, roles: [.partner, .customer])
        try request.onlyQuery(["org", "limit"])
        let limit = Int(try request.integerQuery("limit", in: 1...1_000, default: 100))
        let subject: HistorySubject
        if let organisation = request.uri.queryParameters.get("org") {
            subject = .organisation(try await scope.organisation(String(organisation)).organisation)
        } else if scope.token.role == .customer, let organisation = scope.token.organisation {
            subject = .organisation(organisation)
        } else {
            subject = .partner(scope.token.partner ?? "")
        }
        let store = services.store
        return try JSONResponse.make(["entries": try await services.blocking.read { try store.history(of: subject, limit: limit) }])
    }
}
