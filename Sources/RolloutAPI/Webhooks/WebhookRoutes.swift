import Foundation
import Hummingbird
import RolloutStore
import RolloutDelivery

/// A partner's webhooks (DLV-1, DLV-5), as `rolloutctl webhook …` manages them: partner tokens,
/// their partner's webhooks only. Secrets are shown once, in the answer that made them; the
/// API has no network, so a test ping is queued for the deliverer.
struct WebhookRoutes {
    let services: Services

    func add(to router: Router<APIContext>) {
        router.get("/v1/partners/{p}/webhooks") { request, context in try await list(request, context) }
        router.post("/v1/partners/{p}/webhooks") { request, context in try await register(request, context) }
        router.delete("/v1/partners/{p}/webhooks/{id}") { request, context in try await remove(request, context) }
        router.post("/v1/partners/{p}/webhooks/{id}/rotate-secret") { request, context in try await rotate(request, context) }
        router.post("/v1/partners/{p}/webhooks/{id}/test") { request, context in try await test(request, context) }
    }

    /// A webhook of the partner; another partner's is the same 404 as a missing one (API-1).
    private func webhook(_ request: Request, _ context: APIContext) async throws -> (Scope, Webhook) {
        let (scope, partner) = try Scope.partnerRoute(services, request, context)
        let id = try context.pathID("id")
        let store = services.store
        guard let number = Int64(id), number > 0,
              let webhook = try? await services.blocking.read({ try store.webhook(id: number) }), webhook.partnerID == partner else {
            throw Problem.notFound("webhook", id)
        }
        return (scope, webhook)
    }

    private func subject(_ webhook: Webhook) -> (kind: String, id: String) { ("webhook", String(webhook.id)) }

    func list(_ request: Request, _ context: APIContext) async throws -> Response {
        let (_, partner) = try Scope.partnerRoute(services, request, context)
        let store = services.store
        let (webhooks, pings) = try await services.blocking.read { (try store.webhooks(partner: partner), try store.lastPings(partner: partner)) }
        return try JSONResponse.make(["webhooks": webhooks.map { ListedWebhook(webhook: $0, lastPing: pings[$0.id]) }])
    }

    func register(_ request: Request, _ context: APIContext) async throws -> Response {
        let (scope, partner) = try Scope.partnerRoute(services, request, context)
        var body = try await services.body(request)
        let url = body.string("url", required: true, maxLength: 2_048)
        let organisation = body.string("org", maxLength: 128)
        let kinds = body.strings("kinds", maxCount: 64)
        if kinds?.isEmpty == true { body.problem("kinds", "name at least one kind, or leave kinds out for every kind") }
        try body.finish()
        do {
            _ = try TargetPolicy(services.delivery).check(url: url!)
        } catch {
            throw Problem(.conflict, "refused", title: "Refused by a rule", detail: "refused: \(error)", rule: "DLV-5")
        }
        if let organisation { _ = try await scope.organisation(organisation) }
        let secret = WebhookSignature.generateSecret()
        let store = services.store, now = services.now()
        let webhook = try await services.audited(scope.token, action: "webhook.add", subject: ("partner", partner), partner: partner,
                                                 organisation: organisation, at: now) {
            try store.addWebhook(partner: partner, organisation: organisation, url: url!, kinds: kinds, secret: secret, now: now)
        }
        return try JSONResponse.make(WebhookWithSecret(webhook: webhook, secret: secret), status: .created)
    }

    func remove(_ request: Request, _ context: APIContext) async throws -> Response {
        let (scope, webhook) = try await self.webhook(request, context)
        let store = services.store
        try await services.audited(scope.token, action: "webhook.remove", subject: subject(webhook), partner: webhook.partnerID,
                                   organisation: webhook.organisationID, at: services.now()) {
            try store.removeWebhook(id: webhook.id)
        }
        return Response(status: .noContent)
    }

    /// A new secret; the old one keeps signing for `overlap_hours` (default `[delivery]
    /// secret_overlap_hours`), as `rolloutctl webhook rotate-secret --overlap-hours` (DLV-5).
    func rotate(_ request: Request, _ context: APIContext) async throws -> Response {
        let (scope, webhook) = try await self.webhook(request, context)
        var body = try await services.optionalBody(request)
        let hours = body.int("overlap_hours", in: 0...720) ?? services.delivery.secretOverlapHours
        try body.finish()
        let secret = WebhookSignature.generateSecret()
        let store = services.store, now = services.now()
        let until = now.addingTimeInterval(TimeInterval(hours * 3_600))
        let rotated = try await services.audited(scope.token, action: "webhook.rotate_secret", subject: subject(webhook),
                                                 partner: webhook.partnerID, organisation: webhook.organisationID, at: now) {
            try store.rotateWebhookSecret(id: webhook.id, newSecret: secret, overlapUntil: until)
        }
        return try JSONResponse.make(WebhookWithSecret(webhook: rotated, secret: secret))
    }

    /// Queues a signed `ping` for the deliverer; its answer shows as `last_ping` in the list.
    func test(_ request: Request, _ context: APIContext) async throws -> Response {
        let (scope, webhook) = try await self.webhook(request, context)
        var body = try await services.optionalBody(request)
        try body.finish()
        let store = services.store, now = services.now(), token = scope.token
        let ping = try await services.audited(token, action: "webhook.test", subject: subject(webhook), partner: webhook.partnerID,
                                              organisation: webhook.organisationID, at: now) {
            try store.queueWebhookPing(webhook: webhook.id, requestedBy: token.actorName, at: now)
        }
        return try JSONResponse.make(["ping": ping], status: .accepted)
    }
}

/// A webhook as the list shows it: never its secret, with the answer to its latest test ping.
struct ListedWebhook: Encodable {
    let webhook: Webhook
    let lastPing: QueuedPing?

    func encode(to encoder: any Encoder) throws {
        try webhook.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encodeIfPresent(lastPing, forKey: .lastPing)
    }

    private enum Key: String, CodingKey { case lastPing = "last_ping" }
}
