import Foundation
import Hummingbird
import RolloutStore
import RolloutEngine

/// Pending CAD-8 change requests in the token's scope.
struct ChangeRoutes {
    let services: Services

    func add(to router: Router<APIContext>) {
        router.get("/v1/changes") { request, context in try await list(request, context) }
    }

    func list(_ request: Request, _ context: APIContext) async throws -> Response {
        let scope = try Scope(services, context, roles: [.partner, .customer])
        try request.onlyQuery([])
        let store = services.store
        let partner = scope.token.role == .partner ? scope.token.partner : nil
        let organisation = scope.token.role == .customer ? scope.token.organisation : nil
        let changes = try await services.blocking.read { try store.pendingChangeRequests(partner: partner, organisation: organisation) }
        return try JSONResponse.make(["changes": changes])
    }
}
