import Foundation
import Hummingbird
import RolloutCore
import RolloutStore
import RolloutEngine

/// Operator controls a console offers (SPEC §7): pause and resume (OPS-1) for partner tokens,
/// cancelling a pending change request (OPS-2) for the side that may set it. The engine calls
/// are those of `rolloutctl pause`, `resume` and `changes cancel`, stamped with the server's
/// clock, and the token is recorded as the actor.
struct ControlRoutes {
    let services: Services

    func add(to router: Router<APIContext>) {
        router.post("/v1/partners/{p}/pause") { request, context in try await pause(request, context) }
        router.post("/v1/partners/{p}/resume") { request, context in try await resume(request, context) }
        router.delete("/v1/changes/{id}") { request, context in try await cancel(request, context) }
    }

    /// The pause's scope and areas from the body (`org`, `what`), as `--org` and `--what`.
    private struct PauseTarget {
        let partner: String
        let organisation: String?
        let areas: [PauseArea]
    }

    private func target(_ partner: String, _ body: inout JSONBody) -> PauseTarget {
        let organisation = body.string("org", maxLength: 128)
        let what = body.string("what", maxLength: 16) ?? "all"
        let areas = PauseArea.areas(what)
        if areas == nil { body.problem("what", "'\(what)' is not one of releases, programme, all") }
        return PauseTarget(partner: partner, organisation: organisation, areas: areas ?? [])
    }

    func pause(_ request: Request, _ context: APIContext) async throws -> Response {
        let (scope, partner) = try Scope.partnerRoute(services, request, context)
        var body = try await services.body(request)
        let target = self.target(partner, &body)
        let reason = body.string("reason", required: true, maxLength: 1_000)
        try body.finish()
        try await checkOrganisation(target, scope)
        let store = services.store, now = services.now(), actor = scope.token.actorName
        let pauses = try await services.audited(scope.token, action: "pause", subject: subject(target), partner: target.partner,
                                                organisation: target.organisation, at: now) {
            try store.pause(partner: target.partner, organisation: target.organisation, areas: target.areas, reason: reason!, actor: actor,
                            at: now)
        }
        return try JSONResponse.make(["pauses": pauses], status: .created)
    }

    func resume(_ request: Request, _ context: APIContext) async throws -> Response {
        let (scope, partner) = try Scope.partnerRoute(services, request, context)
        var body = try await services.optionalBody(request)
        let target = self.target(partner, &body)
        try body.finish()
        try await checkOrganisation(target, scope)
        let store = services.store, now = services.now(), actor = scope.token.actorName
        let pauses = try await services.audited(scope.token, action: "resume", subject: subject(target), partner: target.partner,
                                                organisation: target.organisation, at: now) {
            try store.resume(partner: target.partner, organisation: target.organisation, areas: target.areas, actor: actor, at: now)
        }
        return try JSONResponse.make(["pauses": pauses])
    }

    /// An organisation the partner does not manage is outside the token's scope: the same 404
    /// as one that does not exist (API-1), before the engine is asked.
    private func checkOrganisation(_ target: PauseTarget, _ scope: Scope) async throws {
        guard let organisation = target.organisation else { return }
        _ = try await scope.organisation(organisation)
    }

    private func subject(_ target: PauseTarget) -> (kind: String, id: String) {
        target.organisation.map { ("organisation", $0) } ?? ("partner", target.partner)
    }

    /// OPS-2: a partner token cancels requests of its partner and its organisations, a customer
    /// token those of its organisation; the engine then applies CAD-4 as for `changes cancel --as`.
    func cancel(_ request: Request, _ context: APIContext) async throws -> Response {
        let scope = try Scope(services, context, roles: [.partner, .customer])
        try request.onlyQuery([])
        let id = try context.pathID("id")
        let store = services.store
        guard let number = Int64(id), number > 0,
              let change = try await services.blocking.read({ try store.changeRequestScope(id: number) }),
              try await reaches(scope, change) else {
            throw Problem.notFound("change request", id)
        }
        let now = services.now(), actor: Actor = scope.token.role == .partner ? .partner : .customer
        let subject = change.organisation.map { ("organisation", $0) } ?? ("partner", change.partner)
        let cancelled = try await services.audited(scope.token, action: "change.cancel", subject: subject, partner: change.partner,
                                                   organisation: change.organisation, at: now) {
            try store.cancelChange(id: number, actor: actor, at: now)
        }
        return try JSONResponse.make(cancelled)
    }

    private func reaches(_ scope: Scope, _ change: ChangeRequestScope) async throws -> Bool {
        switch scope.token.role {
        case .partner:
            if change.partner == scope.token.partner { return true }
            guard let organisation = change.organisation else { return false }
            return (try? await scope.organisation(organisation)) != nil
        case .customer:
            return change.organisation != nil && change.organisation == scope.token.organisation
        case .agent, .distributor:
            return false
        }
    }
}
