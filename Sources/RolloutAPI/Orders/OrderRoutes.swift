import Foundation
import Hummingbird
import RolloutStore
import RolloutEngine

/// A distributor's answer to an upgrade order (UPG-4, UPG-5): distributor tokens, orders of
/// the partners they serve (state document `distributors`), open orders only.
struct OrderRoutes {
    let services: Services

    func add(to router: Router<APIContext>) {
        router.post("/v1/orders/{id}/result") { request, context in try await result(request, context) }
    }

    func result(_ request: Request, _ context: APIContext) async throws -> Response {
        let scope = try Scope(services, context, roles: [.distributor])
        try request.onlyQuery([])
        let id = try context.pathID("id")
        var body = try await services.body(request)
        let outcome = body.choice("outcome", OrderOutcome.self, required: true)
        let reason = body.string("reason", maxLength: 1_000)
        if outcome == .failed && reason == nil { body.problem("reason", "required with outcome 'failed'") }
        try body.finish()
        let store = services.store, distributor = scope.token.distributor ?? ""
        guard let order = Int64(id),
              let organisation = try await services.blocking.read({ try store.openOrder(order, servedBy: distributor) }) else {
            throw Problem.notFound("open order", id)
        }
        let now = services.now()
        let answered = try await services.audited(scope.token, action: "order.\(outcome!.rawValue)", subject: ("organisation", organisation),
                                                  partner: nil, organisation: organisation, at: now) {
            try store.recordOrderAnswer(organisation: organisation, processed: outcome == .processed, reason: reason, at: now)
        }
        return try JSONResponse.make(["order": String(answered), "organisation": organisation, "state": outcome!.rawValue])
    }
}

enum OrderOutcome: String, CaseIterable {
    case processed, failed
}
