import Foundation
import Hummingbird
import RolloutCore
import RolloutStore
import RolloutEngine

/// A partner's customer upgrade programme (UPG-1, UPG-3, UPG-4, UPG-8): partner tokens, their
/// partner only.
struct ProgrammeRoutes {
    let services: Services

    func add(to router: Router<APIContext>) {
        router.post("/v1/partners/{p}/programme") { request, context in try await create(request, context) }
        router.get("/v1/partners/{p}/readiness") { request, context in try await readiness(request, context) }
        router.get("/v1/partners/{p}/progress") { request, context in try await progress(request, context) }
        router.post("/v1/partners/{p}/upgrades") { request, context in try await upgrade(request, context) }
    }

    func create(_ request: Request, _ context: APIContext) async throws -> Response {
        let (scope, partner) = try Scope.partnerRoute(services, request, context)
        var body = try await services.body(request)
        let announce = body.instant("announce_at", required: true)
        let window = body.instant("window_start_at", required: true)
        let auto = body.instant("auto_upgrade_at", required: true)
        try body.finish()
        let store = services.store, now = services.now(), calendar = services.rules.calendar
        let programme = try await services.audited(scope.token, action: "programme.create", subject: ("partner", partner), partner: partner,
                                                   organisation: nil, at: now) {
            try store.createProgramme(partner: partner, announceAt: announce!, windowStartAt: window!, autoUpgradeAt: auto!, at: now,
                                      calendar: calendar)
        }
        return try JSONResponse.make(ProgrammeAnswer(partner: partner, announceAt: programme.announceAt, windowStartAt: programme.windowStartAt,
                                                     autoUpgradeAt: programme.autoUpgradeAt), status: .created)
    }

    func readiness(_ request: Request, _ context: APIContext) async throws -> Response {
        let (_, partner) = try Scope.partnerRoute(services, request, context, query: ["org"])
        let organisation = request.uri.queryParameters.get("org")
        let store = services.store
        if let organisation, try await services.blocking.read({ try store.partners(managing: organisation) }).contains(partner) == false {
            throw Problem.notFound("organisation", organisation)
        }
        return try JSONResponse.make(["organisations": try await services.blocking.read {
            try store.readiness(partner: partner, organisation: organisation)
        }])
    }

    func progress(_ request: Request, _ context: APIContext) async throws -> Response {
        let (_, partner) = try Scope.partnerRoute(services, request, context)
        let store = services.store
        guard let progress = try await services.blocking.read({ try store.progress(partner: partner) }).first else {
            throw Problem.notFound("partner", partner)
        }
        return try JSONResponse.make(progress)
    }

    /// "Upgrade now" (UPG-4): the named organisations, or every ready one with `all_ready`.
    func upgrade(_ request: Request, _ context: APIContext) async throws -> Response {
        let (scope, partner) = try Scope.partnerRoute(services, request, context)
        var body = try await services.body(request)
        let organisations = body.strings("organisations", maxCount: 1_000)
        let allReady = body.bool("all_ready") ?? false
        if (organisations == nil) == !allReady {
            body.problem("", "give either organisations (a non-empty array) or all_ready: true")
        } else if organisations?.isEmpty == true {
            body.problem("organisations", "name at least one organisation")
        }
        try body.finish()
        let store = services.store, now = services.now(), rules = services.rules
        let receipts = try await services.audited(scope.token, action: "upgrade.order", subject: ("partner", partner), partner: partner,
                                                  organisation: nil, at: now) {
            try store.requestUpgrade(partner: partner, organisations: allReady ? nil : organisations, at: now, context: rules)
        }
        return try JSONResponse.make(["orders": receipts], status: .created)
    }
}

struct ProgrammeAnswer: Encodable {
    let partner: String
    let announceAt: Date
    let windowStartAt: Date
    let autoUpgradeAt: Date

    enum CodingKeys: String, CodingKey {
        case partner
        case announceAt = "announce_at"
        case windowStartAt = "window_start_at"
        case autoUpgradeAt = "auto_upgrade_at"
    }
}
