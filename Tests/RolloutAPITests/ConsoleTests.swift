import Foundation
import GRDB
import RolloutCore
import RolloutStore
import RolloutEngine
import Testing

/// Partner and customer consoles, and distributors: the same engine calls, checks and refusals
/// as the CLI (API-2), with the actor in the audit trail; the outbox by cursor (API-4).
@Suite(.serialized) struct ConsoleTests {
    @Test func scheduleRequestsAreTheCLIsWithTheActorRecorded() async throws {
        try await APIHarness.with { harness in
            let accepted = try await harness.call("PUT", "/v1/organisations/contoso/schedule", as: "customer",
                                                  body: #"{"cadence":"slow","defer_weeks":6}"#)
            #expect(accepted.status == 202, "\(accepted.text)")
            #expect(accepted.object["requested_by"] as? String == "customer")
            #expect(accepted.object["subject"] as? String == "organisation:contoso")
            let changes = try await harness.call("GET", "/v1/changes", as: "customer")
            #expect((changes.object["changes"] as? [[String: Any]])?.first?["change"] as? String == "schedule slow, 6 week(s)")

            // CAD-4: the override toggle is a partner decision; CAD-1: bounds.
            let override = try await harness.call("PUT", "/v1/organisations/contoso/override", as: "customer",
                                                  body: #"{"allow_customer_override":false}"#)
            #expect(override.status == 409)
            #expect(override.object["rule"] as? String == "CAD-4")
            let bounds = try await harness.call("PUT", "/v1/partners/northwind/schedule", as: "partner",
                                                body: #"{"cadence":"latest","defer_weeks":9}"#)
            #expect(bounds.status == 409, "\(bounds.text)")
            #expect(bounds.object["rule"] as? String == "CAD-1")
            #expect((bounds.object["detail"] as? String)?.contains("4") == true, "the error names the bound")
            #expect(try harness.count("schedule_change") == 1, "refusals wrote nothing")

            let token = try #require(try harness.store.tokens().first { $0.name == "customer" })
            let audit = try #require(try harness.store.read { db in try Row.fetchOne(db, sql: "SELECT * FROM request_audit") })
            #expect(audit["token_id"] == token.id)
            #expect(audit["token_name"] == "customer")
            #expect(audit["action"] == "schedule.set")
            let history = try await harness.call("GET", "/v1/history", as: "customer")
            let request = (history.object["entries"] as? [[String: Any]] ?? []).first { $0["type"] as? String == "request" }
            #expect(request?["after"] as? String == "requested by token 'customer' (\(token.id), customer)")

            let user = try await harness.call("PUT", "/v1/users/contoso-u1/automatic-upgrades", as: "partner",
                                              body: #"{"automatic_upgrades":"off"}"#)
            #expect(user.status == 200)
            #expect(try harness.count("user", where: "id = 'contoso-u1' AND automatic_upgrades = 'off'") == 1)
        }
    }

    @Test func theOutboxReadsByCursorWithoutGapsOrRepeats() async throws {
        try await APIHarness.with { harness in
            for index in 0..<5 {
                try harness.notification(key: "n-\(index)", audience: "partner_admins", partner: "northwind", organisation: nil)
            }
            var seen: [String] = []
            var cursor = 0
            for _ in 0..<4 {
                let page = try await harness.call("GET", "/v1/notifications?after=\(cursor)&limit=2", as: "partner")
                #expect(page.status == 200)
                seen += (page.object["notifications"] as? [[String: Any]] ?? []).compactMap { $0["key"] as? String }
                cursor = try #require(page.object["next_after"] as? Int)
                // One written while the reader pages through: it comes after the others.
                if seen.count == 2 { try harness.notification(key: "late", audience: "partner_admins", partner: "northwind", organisation: nil) }
            }
            #expect(seen == ["n-0", "n-1", "n-2", "n-3", "n-4", "late"])
            let bad = try await harness.call("GET", "/v1/notifications?after=-1", as: "partner")
            #expect(bad.status == 422)
        }
    }

    @Test func distributorsAnswerOpenOrdersOfTheirPartnersOnce() async throws {
        try await APIHarness.with { harness in
            let orders = try ScopeTests.placeOrders(harness)
            let answer = try await harness.call("POST", "/v1/orders/\(orders.own)/result", as: "distributor",
                                                body: #"{"outcome":"failed","reason":"licence count mismatch"}"#)
            #expect(answer.status == 200, "\(answer.text)")
            #expect(try harness.count("upgrade_order", where: "id = \(orders.own) AND state = 'failed' AND reason = 'licence count mismatch'") == 1)
            let again = try await harness.call("POST", "/v1/orders/\(orders.own)/result", as: "distributor", body: #"{"outcome":"processed"}"#)
            #expect(again.status == 404, "an answered order is no longer open")
            let missingReason = try await harness.call("POST", "/v1/orders/\(orders.foreign)/result", as: "otherDistributor",
                                                       body: #"{"outcome":"failed"}"#)
            #expect(missingReason.status == 422)
        }
    }

    @Test func programmeRoutesUseTheUpgradeRules() async throws {
        try await APIHarness.with { harness in
            let created = try await harness.call("POST", "/v1/partners/northwind/programme", as: "partner", body: """
                {"announce_at":"2026-12-01T16:00:00Z","window_start_at":"2027-01-05T16:00:00Z","auto_upgrade_at":"2027-03-02T16:00:00Z"}
                """)
            #expect(created.status == 201, "\(created.text)")
            #expect(created.object["window_start_at"] as? String == "2027-01-05T16:00:00Z")
            let early = try await harness.call("POST", "/v1/partners/northwind/upgrades", as: "partner", body: #"{"all_ready":true}"#)
            #expect(early.status == 409)
            #expect(early.object["rule"] as? String == "UPG-4")
            let both = try await harness.call("POST", "/v1/partners/northwind/upgrades", as: "partner",
                                              body: #"{"all_ready":true,"organisations":["contoso"]}"#)
            #expect(both.status == 422)
            let readiness = try await harness.call("GET", "/v1/partners/northwind/readiness", as: "partner")
            #expect(readiness.status == 200)
            let progress = try await harness.call("GET", "/v1/partners/northwind/progress", as: "partner")
            #expect(progress.status == 200)
            #expect(progress.object["partner"] as? String == "northwind")
            let releases = try await harness.call("GET", "/v1/releases?platform=macos", as: "agent")
            let builds = (releases.object["releases"] as? [[String: Any]] ?? []).flatMap { $0["builds"] as? [[String: Any]] ?? [] }
            #expect(!builds.isEmpty && builds.allSatisfy { $0["platform"] as? String == "macos" })
        }
    }
}
