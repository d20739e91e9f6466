import Foundation
import Hummingbird
import RolloutStore
import RolloutEngine

/// The outbox for consoles (API-4): in the order written, after a cursor, scoped to the token.
struct NotificationRoutes {
    let services: Services

    func add(to router: Router<APIContext>) {
        router.get("/v1/notifications") { request, context in try await list(request, context) }
    }

    func list(_ request: Request, _ context: APIContext) async throws -> Response {
        let scope = try Scope(services, context, roles: [.partner, .customer])
        try request.onlyQuery(["after", "limit"])
        let after = try request.integerQuery("after", in: 0...Int64.max, default: 0)
        let limit = Int(try request.integerQuery("limit", in: 1...1_000, default: 100))
        let reader: OutboxReader = scope.token.role == .partner ? .partner(scope.token.partner ?? "") : .customer(scope.token.organisation ?? "")
        let store = services.store
        let entries = try await services.blocking.read { try store.notifications(for: reader, after: after, limit: limit) }
        return try JSONResponse.make(NotificationPage(notifications: entries, next: entries.last?.id ?? after))
    }
}

/// One page of the outbox; `next_after` is the cursor to send next time (`?after=`).
struct NotificationPage: Encodable {
    let notifications: [OutboxEntry]
    let next: Int64

    enum CodingKeys: String, CodingKey {
        case notifications
        case next = "next_after"
    }
}
