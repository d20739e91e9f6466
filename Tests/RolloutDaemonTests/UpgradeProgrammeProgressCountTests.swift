import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// UPG-8 progress is kept by triggers as rows change (issue #8: no recount of the fleet after
/// every outside write). At every step of a programme — orders placed, failed, answered, endpoint
/// lifecycles, documents re-applied — the kept counts equal a recount from scratch.
@Suite struct UpgradeProgrammeProgressCountTests {
    /// UPG-8 counted from scratch, as `progress` did before the counts were kept.
    static func recount(_ store: Store, partner: String) throws -> [[String: Int]] {
        try store.read { db in
            func counts(_ sql: String) throws -> [String: Int] {
                try Row.fetchAll(db, sql: sql, arguments: [partner]).reduce(into: [:]) { $0[$1[0]] = $1[1] }
            }
            return [
                try counts("""
                    SELECT o.generation, count(*) FROM organisation o JOIN organisation_partner op ON op.organisation_id = o.id
                    WHERE op.partner_id = ? GROUP BY o.generation
                    """),
                try counts("""
                    SELECT coalesce((SELECT state FROM upgrade_order u WHERE u.organisation_id = op.organisation_id ORDER BY u.id DESC LIMIT 1), 'none'),
                           count(*) FROM organisation_partner op WHERE op.partner_id = ? GROUP BY 1
                    """),
                try counts("""
                    SELECT e.upgrade_state, count(*) FROM endpoint e JOIN organisation o ON o.id = e.organisation_id
                    WHERE o.upgrade_partner_id = ? AND e.upgrade_state IS NOT NULL GROUP BY e.upgrade_state
                    """),
            ]
        }
    }

    static func expectKeptEqualsRecount(_ s: UpgradeScenario, _ step: String) throws {
        for partner in ["northwind", "bleu"] {
            let kept = try #require(try s.store.progress(partner: partner).first)
            #expect([kept.organisations, kept.orders, kept.endpoints] == (try recount(s.store, partner: partner)), "\(step): \(partner)")
        }
    }

    @Test("kept counts equal a recount at every step of a programme")
    func keptEqualsRecount() async throws {
        let s = try UpgradeScenario(start: "2026-09-01T00:00:00Z", UpgradeProgrammeFullTests.document())
        try Self.expectKeptEqualsRecount(s, "loaded")
        for partner in ["northwind", "bleu"] {
            try s.programme(partner: partner, announce: "2026-09-04T18:30:00Z", window: "2026-09-14T15:00:00Z",
                            auto: "2026-10-01T15:00:00Z", at: "2026-09-01T00:00:00Z")
        }
        try await s.run(until: "2026-09-14T16:00:00Z")
        _ = try s.requestUpgrade(partner: "bleu", ["lamna"], at: "2026-09-14T16:00:00Z")
        try Self.expectKeptEqualsRecount(s, "lamna ordered")
        try await s.run(until: "2026-09-14T20:00:00Z")
        _ = try s.answer("lamna", processed: true, at: "2026-09-14T20:00:00Z")
        try await s.run(until: "2026-09-15T17:00:00Z")
        try Self.expectKeptEqualsRecount(s, "lamna processed")
        _ = try s.requestUpgrade(partner: "northwind", ["globex"], at: "2026-09-15T17:00:00Z")
        try await s.run(until: "2026-09-15T20:00:00Z")
        _ = try s.answer("globex", processed: false, reason: "rejected", at: "2026-09-15T20:00:00Z")
        try await s.run(until: "2026-09-16T16:00:00Z")
        try Self.expectKeptEqualsRecount(s, "globex failed")
        _ = try s.requestUpgrade(partner: "northwind", ["globex"], at: "2026-09-16T16:00:00Z")
        try await s.run(until: "2026-09-16T18:00:00Z")
        _ = try s.answer("globex", processed: true, at: "2026-09-16T18:00:00Z")
        try await s.run(until: "2026-09-22T16:00:00Z")
        try Self.expectKeptEqualsRecount(s, "globex processed")
        #expect(try s.event(.triggered, "lamna-pc1", at: "2026-09-22T16:00:00Z") == .notified)
        #expect(try s.event(.userUpgradeNow, "lamna-pc1", at: "2026-09-22T17:00:00Z") == .installing)
        #expect(try s.event(.failureReported(reason: "disk full"), "lamna-pc1", at: "2026-09-22T18:00:00Z") == .failed)
        try Self.expectKeptEqualsRecount(s, "endpoint events")
        // A document moving an organisation to another partner: managed
        // organisations and their orders move between the partners' counts.
        var moved = UpgradeDocument()
        moved.organisation("contoso", name: "Contoso", partners: ["bleu"])
        try s.apply(moved, at: "2026-09-22T19:00:00Z")
        try Self.expectKeptEqualsRecount(s, "contoso moved")
        try await s.run(until: "2026-11-20T00:00:00Z")
        try Self.expectKeptEqualsRecount(s, "after the automatic upgrades")
        try s.store.write { db in try db.execute(sql: "DELETE FROM organisation WHERE id = 'globex'") }
        try Self.expectKeptEqualsRecount(s, "globex deleted")
    }
}
