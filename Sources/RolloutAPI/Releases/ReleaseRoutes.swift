import Foundation
import Hummingbird
import RolloutCore
import RolloutStore
import RolloutEngine

/// The release catalogue with its builds (CAD-11): not tenant data, so every console and agent
/// token reads all of it.
struct ReleaseRoutes {
    let services: Services

    func add(to router: Router<APIContext>) {
        router.get("/v1/releases") { request, context in try await list(request, context) }
    }

    func list(_ request: Request, _ context: APIContext) async throws -> Response {
        _ = try Scope(services, context, roles: [.partner, .customer, .agent])
        try request.onlyQuery(["platform"])
        let text = request.uri.queryParameters.get("platform")
        let platform = text.flatMap(Platform.init(rawValue:))
        if text != nil && platform == nil {
            throw Problem.invalid([.init(pointer: "?platform", detail: "expected one of \(Platform.allCases.map(\.rawValue).joined(separator: ", "))")])
        }
        let store = services.store
        let releases = try await services.blocking.read { try store.releaseCatalogue(platform: platform, version: nil) }
        return try JSONResponse.make(["releases": releases])
    }
}
