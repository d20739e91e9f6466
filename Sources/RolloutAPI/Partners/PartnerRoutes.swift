import Foundation
import Hummingbird
import RolloutCore
import RolloutStore
import RolloutEngine

/// A partner's own release settings (CAD-3.3, CAD-4): partner tokens, their partner only.
struct PartnerRoutes {
    let services: Services

    func add(to router: Router<APIContext>) {
        router.put("/v1/partners/{p}/schedule") { request, context in try await setSchedule(request, context) }
        router.put("/v1/partners/{p}/override") { request, context in try await setOverride(request, context) }
    }

    func setSchedule(_ request: Request, _ context: APIContext) async throws -> Response {
        let (scope, partner) = try Scope.partnerRoute(services, request, context)
        var body = try await services.body(request)
        let cadence = body.choice("cadence", Cadence.self, required: true)
        let weeks = body.int("defer_weeks", in: 0...52)
        try body.finish()
        return try await ScheduleRequest(services: services, token: scope.token)
            .submit(partner: partner, organisation: nil, actor: .partner, action: "schedule.set",
                    request: .setSchedule(cadence: cadence!, deferralWeeks: weeks))
    }

    func setOverride(_ request: Request, _ context: APIContext) async throws -> Response {
        let (scope, partner) = try Scope.partnerRoute(services, request, context)
        var body = try await services.body(request)
        let allowed = body.bool("allow_customer_override")
        if !body.has("allow_customer_override") { body.problem("allow_customer_override", "required (true, false, or null for the default)") }
        try body.finish()
        return try await ScheduleRequest(services: services, token: scope.token)
            .submit(partner: partner, organisation: nil, actor: .partner, action: "override.set",
                    request: .setAllowCustomerOverride(allowed))
    }
}
