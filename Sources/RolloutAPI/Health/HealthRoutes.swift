import Foundation
import Hummingbird
import NIOCore
import RolloutStore
import RolloutEngine

/// The two routes without a token: liveness for load balancers and the contract (API-5).
struct HealthRoutes {
    let services: Services

    func add(to router: Router<APIContext>) {
        router.get("/v1/health") { request, _ in try await health(request) }
        router.get("/v1/openapi.json") { request, _ in
            try request.onlyQuery([])
            return Response(status: .ok, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: PackageResources.openapi_json)))
        }
    }

    /// 200 when the database answers a read; the inbox backlog tells whether check-ins drain.
    func health(_ request: Request) async throws -> Response {
        try request.onlyQuery([])
        let store = services.store
        let schema = try await services.blocking.read { try store.schemaVersion() }
        let backlog = try await services.inbox.count()
        return try JSONResponse.make(Health(status: "ok", schemaVersion: schema, inboxBacklog: backlog))
    }
}

struct Health: Encodable {
    let status: String
    let schemaVersion: Int
    let inboxBacklog: Int

    enum CodingKeys: String, CodingKey {
        case status
        case schemaVersion = "schema_version"
        case inboxBacklog = "inbox_backlog"
    }
}
