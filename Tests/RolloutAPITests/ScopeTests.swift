import Foundation
import GRDB
import RolloutStore
import RolloutDaemon
import RolloutEngine
import Testing

/// API-1 for every route: no token, a malformed, expired or revoked one → 401; a role the route
/// is not for → 403; a subject of another partner or organisation → the same 404 as an id that
/// does not exist; ids that try SQL injection → 404, nothing written; never a 500.
@Suite(.serialized) struct ScopeTests {
    /// A route, a valid body, and per role allowed: an id in its scope and one of another tenant.
    struct RouteCase: CustomStringConvertible {
        let method: String
        let template: String
        let body: String?
        /// token fixture name → (own id, another tenant's id); nil ids for routes without a subject.
        let allowed: [String: (own: String, foreign: String)?]

        func path(_ id: String) -> String {
            let encoded = id.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? id
            return template.replacingOccurrences(of: "{}", with: encoded)
        }

        var description: String { "\(method) \(template)" }
    }

    static let organisationRoles: [String: (own: String, foreign: String)?] = [
        "partner": ("contoso", "lamna"), "customer": ("contoso", "fabrikam"),
    ]
    static let partnerRoles: [String: (own: String, foreign: String)?] = ["partner": ("northwind", "bleu")]

    static let routes: [RouteCase] = [
        RouteCase(method: "POST", template: "/v1/endpoints/{}/check-in", body: #"{"installed_version":"45.8.0"}"#,
                  allowed: ["agent": ("contoso-e1", "lamna-e1")]),
        RouteCase(method: "POST", template: "/v1/endpoints/{}/events", body: #"{"event_id":"scope-1","event":"deferred"}"#,
                  allowed: ["agent": ("contoso-e1", "lamna-e1")]),
        RouteCase(method: "GET", template: "/v1/organisations/{}", body: nil, allowed: organisationRoles),
        RouteCase(method: "GET", template: "/v1/organisations/{}/explain", body: nil, allowed: organisationRoles),
        RouteCase(method: "PUT", template: "/v1/organisations/{}/schedule", body: #"{"cadence":"slow","defer_weeks":8}"#,
                  allowed: organisationRoles),
        RouteCase(method: "DELETE", template: "/v1/organisations/{}/schedule", body: nil, allowed: organisationRoles),
        RouteCase(method: "PUT", template: "/v1/organisations/{}/override", body: #"{"allow_customer_override":true}"#,
                  allowed: organisationRoles),
        RouteCase(method: "PUT", template: "/v1/partners/{}/schedule", body: #"{"cadence":"latest"}"#, allowed: partnerRoles),
        RouteCase(method: "PUT", template: "/v1/partners/{}/override", body: #"{"allow_customer_override":false}"#, allowed: partnerRoles),
        RouteCase(method: "PUT", template: "/v1/users/{}/automatic-upgrades", body: #"{"automatic_upgrades":"off"}"#,
                  allowed: ["partner": ("contoso-u1", "lamna-u1"), "customer": ("contoso-u1", "fabrikam-u1")]),
        RouteCase(method: "GET", template: "/v1/changes", body: nil, allowed: ["partner": nil, "customer": nil]),
        RouteCase(method: "GET", template: "/v1/releases", body: nil, allowed: ["partner": nil, "customer": nil, "agent": nil]),
        RouteCase(method: "POST", template: "/v1/partners/{}/programme",
                  body: #"{"announce_at":"2026-12-01T16:00:00Z","window_start_at":"2027-01-05T16:00:00Z","auto_upgrade_at":"2027-03-02T16:00:00Z"}"#,
                  allowed: partnerRoles),
        RouteCase(method: "GET", template: "/v1/partners/{}/readiness", body: nil, allowed: partnerRoles),
        RouteCase(method: "GET", template: "/v1/partners/{}/progress", body: nil, allowed: partnerRoles),
        RouteCase(method: "POST", template: "/v1/partners/{}/upgrades", body: #"{"all_ready":true}"#, allowed: partnerRoles),
        RouteCase(method: "GET", template: "/v1/notifications", body: nil, allowed: ["partner": nil, "customer": nil]),
        RouteCase(method: "POST", template: "/v1/orders/{}/result", body: #"{"outcome":"processed"}"#,
                  allowed: ["distributor": ("ORDER-OWN", "ORDER-FOREIGN")]),
        RouteCase(method: "GET", template: "/v1/history?org={}", body: nil,
                  allowed: ["partner": ("contoso", "lamna"), "customer": ("contoso", "fabrikam")]),
        RouteCase(method: "POST", template: "/v1/partners/{}/pause", body: #"{"reason":"scope test","what":"releases"}"#, allowed: partnerRoles),
        RouteCase(method: "POST", template: "/v1/partners/{}/resume", body: #"{"what":"releases"}"#, allowed: partnerRoles),
        RouteCase(method: "DELETE", template: "/v1/changes/{}", body: nil,
                  allowed: ["partner": ("CHANGE-OWN", "CHANGE-OTHER-PARTNER"), "customer": ("CHANGE-OWN", "CHANGE-OTHER-ORG")]),
        RouteCase(method: "GET", template: "/v1/partners/{}/webhooks", body: nil, allowed: partnerRoles),
        RouteCase(method: "POST", template: "/v1/partners/{}/webhooks", body: #"{"url":"https://hooks.example.com/scope"}"#, allowed: partnerRoles),
        RouteCase(method: "POST", template: "/v1/partners/northwind/webhooks/{}/rotate-secret", body: #"{"overlap_hours":1}"#,
                  allowed: ["partner": ("WEBHOOK-OWN", "WEBHOOK-OTHER-PARTNER")]),
        RouteCase(method: "POST", template: "/v1/partners/northwind/webhooks/{}/test", body: "{}",
                  allowed: ["partner": ("WEBHOOK-OWN", "WEBHOOK-OTHER-PARTNER")]),
        RouteCase(method: "DELETE", template: "/v1/partners/northwind/webhooks/{}", body: nil,
                  allowed: ["partner": ("WEBHOOK-OWN", "WEBHOOK-OTHER-PARTNER")]),
    ]

    static let roles = ["partner", "customer", "agent", "distributor"]
    static let injections = ["' OR '1'='1", "contoso'; DROP TABLE endpoint; --", "\" OR 1=1 --", "1 UNION SELECT secret_sha256 FROM api_token"]

    /// The numbered subjects the routes name, by placeholder: the open orders; pending change requests for contoso, fabrikam
    /// (northwind) and lamna (bleu); a webhook of northwind and one of bleu.
    static func placeSubjects(_ harness: APIHarness) throws -> [String: String] {
        let rules = LoopSettings(Configuration()).rules
        var changes: [String] = []
        for (organisation, partner) in [("contoso", "northwind"), ("fabrikam", "northwind"), ("lamna", "bleu")] {
            let receipt = try harness.store.requestScheduleChange(partner: partner, organisation: organisation,
                                                                  request: .setSchedule(cadence: .slow, deferralWeeks: 4), actor: .partner,
                                                                  at: harness.now, context: rules)
            changes.append(String(receipt.id))
        }
        var webhooks: [String] = []
        for partner in ["northwind", "bleu"] {
            webhooks.append(String(try harness.store.addWebhook(partner: partner, organisation: nil, url: "https://\(partner).example/hook",
                                                                kinds: nil, secret: "whsec_c2NvcGUtdGVzdA==", now: harness.now).id))
        }
        let orders = try placeOrders(harness)
        return ["ORDER-OWN": orders.own, "ORDER-FOREIGN": orders.foreign, "CHANGE-OWN": changes[0], "CHANGE-OTHER-ORG": changes[1],
                "CHANGE-OTHER-PARTNER": changes[2], "WEBHOOK-OWN": webhooks[0], "WEBHOOK-OTHER-PARTNER": webhooks[1]]
    }

    /// Open orders for contoso (northwind, served by northwind-dist) and lamna (bleu).
    static func placeOrders(_ harness: APIHarness) throws -> (own: String, foreign: String) {
        try harness.store.write { db in
            var ids: [String] = []
            for (organisation, partner) in [("contoso", "northwind"), ("lamna", "bleu")] {
                try db.execute(sql: """
                    INSERT INTO upgrade_order (organisation_id, partner_id, state, ordered_at, answer_due_at) VALUES (?, ?, 'ordered', ?, ?)
                    """, arguments: [organisation, partner, 1_795_000_000, 1_795_086_400])
                ids.append(String(db.lastInsertedRowID))
            }
            return (ids[0], ids[1])
        }
    }

    func resolve(_ id: String, subjects: [String: String]) -> String { subjects[id] ?? id }

    @Test func everyRouteRefusesMissingExpiredRevokedAndForgedTokens() async throws {
        try await APIHarness.with { harness in
            let subjects = try Self.placeSubjects(harness)
            let before = try harness.snapshot()
            let forged = "rlt_" + String(repeating: "0", count: 12) + "_" + String(repeating: "A", count: 43)
            for route in Self.routes {
                let id = resolve(route.allowed.values.compactMap { $0?.own }.first ?? "", subjects: subjects)
                for token: String? in [nil, "expired", "revoked", forged, "not-a-token", harness.tokens["partner"]! + "x"] {
                    let answer = try await harness.call(route.method, route.path(id), as: token, body: route.body)
                    #expect(answer.status == 401, "\(route) with \(token ?? "no token"): \(answer.status) \(answer.text)")
                    #expect(answer.headers["content-type"] == "application/problem+json", "\(route)")
                    #expect(answer.object["rule"] as? String == "API-1", "\(route)")
                    #expect(answer.headers["www-authenticate"]?.hasPrefix("Bearer") == true, "\(route)")
                }
            }
            #expect(try harness.snapshot() == before, "a refused request wrote something")
        }
    }

    @Test func everyRouteRefusesOtherRolesWith403() async throws {
        try await APIHarness.with { harness in
            let subjects = try Self.placeSubjects(harness)
            let before = try harness.snapshot()
            for route in Self.routes {
                let id = resolve(route.allowed.values.compactMap { $0?.own }.first ?? "", subjects: subjects)
                for role in Self.roles where !route.allowed.keys.contains(role) {
                    let answer = try await harness.call(route.method, route.path(id), as: role, body: route.body)
                    #expect(answer.status == 403, "\(route) as \(role): \(answer.status) \(answer.text)")
                    #expect(answer.object["rule"] as? String == "API-1")
                }
            }
            #expect(try harness.snapshot() == before, "a refused request wrote something")
        }
    }

    @Test func anotherTenantsSubjectIsTheSame404AsAMissingOne() async throws {
        try await APIHarness.with { harness in
            let subjects = try Self.placeSubjects(harness)
            let before = try harness.snapshot()
            for route in Self.routes {
                for (role, ids) in route.allowed {
                    guard let ids else { continue }
                    let foreign = try await harness.call(route.method, route.path(resolve(ids.foreign, subjects: subjects)), as: role, body: route.body)
                    let missing = try await harness.call(route.method, route.path("no-such-id-\(role)"), as: role, body: route.body)
                    #expect(foreign.status == 404, "\(route) as \(role) on \(ids.foreign): \(foreign.status) \(foreign.text)")
                    #expect(missing.status == 404, "\(route) as \(role) on a missing id: \(missing.status) \(missing.text)")
                    #expect(foreign.object["title"] as? String == missing.object["title"] as? String)
                    #expect(foreign.object["rule"] as? String == "API-1")
                    for injection in Self.injections {
                        let answer = try await harness.call(route.method, route.path(injection), as: role, body: route.body)
                        #expect(answer.status == 404 || answer.status == 422, "\(route) as \(role) with \(injection): \(answer.status)")
                    }
                }
            }
            #expect(try harness.snapshot() == before, "a refused request wrote something")
            #expect(try harness.count("endpoint") == 36)
        }
    }

    /// Ids inside bodies are data too: an upgrade order naming injected "organisations" is
    /// refused by UPG-4 like any unknown one, and nothing is written.
    @Test func idsInBodiesCannotInjectSQL() async throws {
        try await APIHarness.with { harness in
            let programme = try await harness.call("POST", "/v1/partners/northwind/programme", as: "partner", body: """
                {"announce_at":"2026-11-02T16:00:00Z","window_start_at":"2026-11-09T16:00:00Z","auto_upgrade_at":"2027-01-04T16:00:00Z"}
                """)
            #expect(programme.status == 201, "\(programme.text)")
            let before = try harness.snapshot()
            for injection in Self.injections {
                let body = try String(decoding: JSONSerialization.data(withJSONObject: ["organisations": [injection]]), as: UTF8.self)
                let answer = try await harness.call("POST", "/v1/partners/northwind/upgrades", as: "partner", body: body)
                #expect(answer.status == 409, "\(injection): \(answer.status) \(answer.text)")
                #expect(answer.object["rule"] as? String == "UPG-4")
            }
            #expect(try harness.snapshot() == before)
            #expect(try harness.count("organisation") == 6)
        }
    }

    @Test func ownSubjectsPassTheScopeCheck() async throws {
        try await APIHarness.with { harness in
            let subjects = try Self.placeSubjects(harness)
            for route in Self.routes {
                for (role, ids) in route.allowed {
                    let answer = try await harness.call(route.method, route.path(resolve(ids?.own ?? "", subjects: subjects)), as: role, body: route.body)
                    // A SPEC rule may still refuse (409) — but never the scope, never a server error.
                    #expect([200, 201, 202, 204, 409].contains(answer.status), "\(route) as \(role): \(answer.status) \(answer.text)")
                }
            }
        }
    }

    @Test func listsShowOnlyTheTokensTenant() async throws {
        try await APIHarness.with { harness in
            // A change request and notifications in each tenant.
            for (token, org) in [("partner", "contoso"), ("otherPartner", "lamna")] {
                let answer = try await harness.call("PUT", "/v1/organisations/\(org)/schedule", as: token, body: #"{"cadence":"slow","defer_weeks":4}"#)
                #expect(answer.status == 202, "\(answer.text)")
            }
            for (audience, partner, organisation) in [("partner_admins", "northwind", nil), ("partner_admins", "bleu", nil),
                                                      ("customer_admins", "northwind", "contoso"), ("customer_admins", "bleu", "lamna"),
                                                      ("customer_admins", "northwind", "fabrikam")] as [(String, String, String?)] {
                try harness.notification(key: "k-\(audience)-\(partner)-\(organisation ?? "")", audience: audience, partner: partner,
                                         organisation: organisation)
            }
            let partnerChanges = try await harness.call("GET", "/v1/changes", as: "partner")
            #expect(partnerChanges.strings("changes", "organisation") == ["contoso"])
            let customerChanges = try await harness.call("GET", "/v1/changes", as: "otherCustomer")
            #expect(customerChanges.count("changes") == 0)

            let partnerNotes = try await harness.call("GET", "/v1/notifications", as: "partner")
            #expect(Set(partnerNotes.strings("notifications", "key"))
                    == ["k-partner_admins-northwind-", "k-customer_admins-northwind-contoso", "k-customer_admins-northwind-fabrikam"])
            let customerNotes = try await harness.call("GET", "/v1/notifications", as: "customer")
            #expect(customerNotes.strings("notifications", "key") == ["k-customer_admins-northwind-contoso"])

            let history = try await harness.call("GET", "/v1/history", as: "customer")
            let subjects = history.strings("entries", "subject")
            #expect(!subjects.isEmpty && subjects.allSatisfy { $0.contains("contoso") }, "\(subjects)")
        }
    }
}
