import Foundation
import Hummingbird
import RolloutCore
import RolloutStore
import RolloutEngine

/// An organisation's release settings, explained and changed (CAD-3, CAD-4, CAD-8, CAD-10),
/// and a user's automatic-upgrades switch (CAD-6). Partner and customer tokens.
struct OrganisationRoutes {
    let services: Services

    func add(to router: Router<APIContext>) {
        router.get("/v1/organisations/{org}") { request, context in try await settings(request, context) }
        router.get("/v1/organisations/{org}/explain") { request, context in try await explain(request, context) }
        router.put("/v1/organisations/{org}/schedule") { request, context in try await setSchedule(request, context) }
        router.delete("/v1/organisations/{org}/schedule") { request, context in try await resetSchedule(request, context) }
        router.put("/v1/organisations/{org}/override") { request, context in try await setOverride(request, context) }
        router.put("/v1/users/{id}/automatic-upgrades") { request, context in try await automaticUpgrades(request, context) }
    }

    private func access(_ request: Request, _ context: APIContext, query: Set<String> = []) async throws -> (Scope, Scope.OrganisationAccess) {
        let scope = try Scope(services, context, roles: [.partner, .customer])
        try request.onlyQuery(query)
        return (scope, try await scope.organisation(try context.pathID("org")))
    }

    /// Settings as this reader sees them; a customer admin's first read migrates a legacy
    /// setting (CAD-10), as `rolloutctl settings show --as customer` does.
    func settings(_ request: Request, _ context: APIContext) async throws -> Response {
        let (_, access) = try await self.access(request, context)
        let store = services.store, now = services.now()
        return try JSONResponse.make(try await services.blocking.write {
            try store.settings(organisation: access.organisation, reader: access.actor, at: now)
        })
    }

    func explain(_ request: Request, _ context: APIContext) async throws -> Response {
        let (_, access) = try await self.access(request, context, query: ["user", "endpoint"])
        let user = request.uri.queryParameters.get("user")
        let endpoint = request.uri.queryParameters.get("endpoint")
        let store = services.store, now = services.now(), rules = services.rules
        return try JSONResponse.make(try await services.blocking.read {
            try store.explain(organisation: access.organisation, user: user, endpoint: endpoint, at: now, context: rules)
        })
    }

    func setSchedule(_ request: Request, _ context: APIContext) async throws -> Response {
        let (scope, access) = try await self.access(request, context)
        var body = try await services.body(request)
        let cadence = body.choice("cadence", Cadence.self, required: true)
        let weeks = body.int("defer_weeks", in: 0...52)
        try body.finish()
        return try await ScheduleRequest(services: services, token: scope.token)
            .submit(partner: access.partner, organisation: access.organisation, actor: access.actor, action: "schedule.set",
                    request: .setSchedule(cadence: cadence!, deferralWeeks: weeks))
    }

    func resetSchedule(_ request: Request, _ context: APIContext) async throws -> Response {
        let (scope, access) = try await self.access(request, context)
        return try await ScheduleRequest(services: services, token: scope.token)
            .submit(partner: access.partner, organisation: access.organisation, actor: access.actor, action: "schedule.reset",
                    request: .resetSchedule)
    }

    func setOverride(_ request: Request, _ context: APIContext) async throws -> Response {
        let (scope, access) = try await self.access(request, context)
        var body = try await services.body(request)
        let allowed = body.bool("allow_customer_override")
        if !body.has("allow_customer_override") { body.problem("allow_customer_override", "required (true, false, or null to inherit)") }
        try body.finish()
        return try await ScheduleRequest(services: services, token: scope.token)
            .submit(partner: access.partner, organisation: access.organisation, actor: access.actor, action: "override.set",
                    request: .setAllowCustomerOverride(allowed))
    }

    func automaticUpgrades(_ request: Request, _ context: APIContext) async throws -> Response {
        let scope = try Scope(services, context, roles: [.partner, .customer])
        try request.onlyQuery([])
        let user = try context.pathID("id")
        var body = try await services.body(request)
        let value = body.choice("automatic_upgrades", AutomaticUpgrades.self, required: true)
        try body.finish()
        let access = try await scope.user(user)
        let store = services.store, now = services.now()
        try await services.audited(scope.token, action: "user.automatic_upgrades", subject: ("user", user), partner: nil,
                                   organisation: access.organisation, at: now) {
            try store.setAutomaticUpgrades(user: user, to: value!, at: now)
        }
        return try JSONResponse.make(["user": user, "automatic_upgrades": value!.rawValue])
    }
}

/// A CAD-8 change request through the engine call the CLI uses; 202 with its receipt, since
/// the daemon applies it at its apply-by instant.
struct ScheduleRequest {
    let services: Services
    let token: APIToken

    func submit(partner: String, organisation: String?, actor: Actor, action: String, request: ScheduleEditRequest) async throws -> Response {
        let store = services.store, now = services.now(), rules = services.rules
        let subject = organisation.map { ("organisation", $0) } ?? ("partner", partner)
        let receipt = try await services.audited(token, action: action, subject: subject, partner: partner, organisation: organisation,
                                                 at: now) {
            try store.requestScheduleChange(partner: partner, organisation: organisation, request: request, actor: actor, at: now,
                                            context: rules)
        }
        return try JSONResponse.make(receipt, status: .accepted)
    }
}
