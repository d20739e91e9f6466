import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import RolloutStore
import RolloutEngine

/// Resolves `Authorization: Bearer …` to a token for every route but the public ones (API-1).
/// Unknown, malformed, expired and revoked tokens get the same 401.
struct Authentication: RouterMiddleware {
    typealias Context = APIContext
    static let publicPaths: Set<String> = ["/v1/health", "/v1/openapi.json"]

    let services: Services

    func handle(_ request: Request, context: APIContext, next: (Request, APIContext) async throws -> Response) async throws -> Response {
        guard !Self.publicPaths.contains(request.uri.path) else { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.count <= 256 else { throw Problem.unauthorized }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw Problem.unauthorized }
        let bearer = String(parts[1]).trimmingCharacters(in: .whitespaces)
        let now = services.now()
        let store = services.store
        guard let token = try await services.blocking.read({ try store.authenticate(bearer: bearer, at: now) }) else {
            throw Problem.unauthorized
        }
        services.usage.record(token.id, at: now)
        var context = context
        context.token = token
        return try await next(request, context)
    }
}

/// Last-use instants of tokens, kept in memory and written with the next inbox batch, so that
/// authenticating a request never waits for the database's write lock (API-1, API-6).
final class TokenUsage: Sendable {
    private let uses = NIOLockedValueBox<[String: Date]>([:])

    func record(_ id: String, at instant: Date) {
        uses.withLockedValue { $0[id] = max($0[id] ?? instant, instant) }
    }

    /// The uses recorded since the last call.
    func take() -> [String: Date] {
        uses.withLockedValue { uses in
            defer { uses = [:] }
            return uses
        }
    }

    /// Puts back uses a failed batch did not record.
    func restore(_ taken: [String: Date]) {
        for (id, at) in taken { record(id, at: at) }
    }
}
