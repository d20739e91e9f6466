import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// CAD-8 through the loop: when a requested change is applied (the wake instant and
/// `schedule_change.applied_at`), how changes to one scope coalesce, and that a change of
/// deferral weeks alone is applied at once. March 2026 is in PDT: boundaries are at 15:00Z.
@Suite struct ReleaseManagementChangeTimingTests {
    /// northwind gives latest +4w and allows customer override; contoso and fabrikam inherit.
    static func world(start: String) throws -> RMScenario {
        var document = ReleaseDocument()
        document.partner("northwind", schedule: ("latest", 4))
        document.organisation("contoso", partners: ["northwind"])
        document.organisation("fabrikam", partners: ["northwind"])
        document.user("contoso-u", organisation: "contoso")
        document.user("fabrikam-u", organisation: "fabrikam")
        document.endpoint("contoso-e", organisation: "contoso", user: "contoso-u", platform: "windows", installed: "46.1.0")
        document.endpoint("fabrikam-e", organisation: "fabrikam", user: "fabrikam-u", platform: "windows", installed: "46.1.0")
        document.monthlyReleases()
        return try RMScenario(start: start, document)
    }

    @Test("CAD-8: a cadence change requested Friday 2026-03-13 17:00Z (after the boundary) is applied Saturday 17:00Z, 24 h later, not Monday")
    func fridayAfterBoundary() async throws {
        let scenario = try Self.world(start: "2026-03-13T00:00:00Z")
        try await scenario.run(until: "2026-03-13T17:00:00Z")
        let receipt = try scenario.request(.setSchedule(cadence: .slow, deferralWeeks: 12), partner: "northwind",
                                           organisation: "contoso", as: .customer, at: "2026-03-13T17:00:00Z")
        #expect(receipt.applyBy == at("2026-03-14T17:00:00Z"))
        #expect(receipt.requestedBy == "customer")

        try await scenario.run(until: "2026-03-14T16:59:59Z")
        #expect(try scenario.scheduleChange(receipt.id).appliedAt == nil)
        #expect(try scenario.effectiveSchedule("contoso") == "latest +4w")

        try await scenario.run(until: "2026-03-17T00:00:00Z")
        #expect(try scenario.scheduleChange(receipt.id).appliedAt == at("2026-03-14T17:00:00Z"))
        #expect(try scenario.wake(at: "2026-03-14T17:00:00Z")?.reasons == "change_apply_by organisation:contoso")
        #expect(try scenario.wake(at: "2026-03-16T15:00:00Z")?.reasons == "boundary")
        #expect(try scenario.effectiveSchedule("contoso") == "slow +12w")
        #expect(try scenario.count("SELECT count(*) FROM decision WHERE rule = 'CAD-8' AND subject_id = 'contoso' AND wake_at = ?",
                                   [Instant.seconds(at("2026-03-14T17:00:00Z"))]) == 1)
        #expect(try scenario.count("""
            SELECT count(*) FROM notification WHERE kind = 'schedule_change_applied' AND organisation_id = 'contoso' AND due_at = ?
            """, [Instant.seconds(at("2026-03-14T17:00:00Z"))]) == 2)
    }

    @Test("CAD-8: a change requested Wednesday before the boundary (07:00 PDT) is applied at that day's boundary, 15:00Z")
    func wednesdayBeforeBoundary() async throws {
        let scenario = try Self.world(start: "2026-03-11T00:00:00Z")
        try await scenario.run(until: "2026-03-11T14:00:00Z")
        let receipt = try scenario.request(.setSchedule(cadence: .slow, deferralWeeks: 12), partner: "northwind",
                                           organisation: "contoso", at: "2026-03-11T14:00:00Z")
        #expect(receipt.applyBy == at("2026-03-11T15:00:00Z"))
        try await scenario.run(until: "2026-03-11T16:00:00Z")
        #expect(try scenario.scheduleChange(receipt.id).appliedAt == at("2026-03-11T15:00:00Z"))
        #expect(try scenario.wake(at: "2026-03-11T15:00:00Z")?.reasons == "boundary, change_apply_by organisation:contoso")
        #expect(try scenario.effectiveSchedule("contoso") == "slow +12w")
    }

    @Test("CAD-8: three requests to one scope before apply-by → only the last applied, the others superseded, one notification per audience")
    func coalescing() async throws {
        let scenario = try Self.world(start: "2026-03-10T00:00:00Z")
        try await scenario.run(until: "2026-03-10T18:00:00Z")
        let first = try scenario.request(.setSchedule(cadence: .slow, deferralWeeks: 12), partner: "northwind",
                                         organisation: "contoso", at: "2026-03-10T18:00:00Z")
        try await scenario.run(until: "2026-03-10T20:00:00Z")
        let second = try scenario.request(.setSchedule(cadence: .automatic), partner: "northwind", organisation: "contoso",
                                          as: .customer, at: "2026-03-10T20:00:00Z")
        try await scenario.run(until: "2026-03-10T22:00:00Z")
        let third = try scenario.request(.setSchedule(cadence: .slow, deferralWeeks: 6), partner: "northwind",
                                         organisation: "contoso", at: "2026-03-10T22:00:00Z")
        #expect([first, second, third].map(\.applyBy) == Array(repeating: at("2026-03-11T15:00:00Z"), count: 3))
        // Nothing applied in between.
        #expect(try scenario.effectiveSchedule("contoso") == "latest +4w")

        try await scenario.run(until: "2026-03-11T16:00:00Z")
        let applyInstant = at("2026-03-11T15:00:00Z")
        #expect(try scenario.scheduleChange(third.id) == .init(id: third.id, appliedAt: applyInstant, supersededAt: nil))
        #expect(try scenario.scheduleChange(first.id) == .init(id: first.id, appliedAt: nil, supersededAt: applyInstant))
        #expect(try scenario.scheduleChange(second.id) == .init(id: second.id, appliedAt: nil, supersededAt: applyInstant))
        #expect(try scenario.effectiveSchedule("contoso") == "slow +6w")
        let stored = try scenario.store.settings(organisation: "contoso", reader: .partner, at: at("2026-03-11T16:00:00Z"))
        #expect(stored.cadence == "slow" && stored.deferWeeks == 6 && stored.scheduleOrigin == "partner")

        let notified = try scenario.store.read { db in
            try Row.fetchAll(db, sql: """
                SELECT audience, idempotency_key, body FROM notification
                WHERE kind = 'schedule_change_applied' AND organisation_id = 'contoso' ORDER BY audience
                """)
        }
        #expect(notified.map { $0["audience"] as String } == ["customer_admins", "partner_admins"])
        #expect(notified.allSatisfy { ($0["idempotency_key"] as String).hasSuffix("|change:\(third.id)") })
        // The text names the winning schedule, not the superseded ones.
        #expect(notified.allSatisfy { ($0["body"] as String).contains("slow") && !($0["body"] as String).contains("automatic") },
                "\(notified.map { $0["body"] as String })")
        #expect(try scenario.count("SELECT count(*) FROM decision WHERE rule = 'CAD-8' AND subject_id = 'contoso'") == 1)
        let summary = try #require(scenario.recorder.wakes.first { $0.at == applyInstant })
        #expect(summary.decisions["change_applied"] == 1)
        #expect(summary.decisions["change_superseded"] == 2)
    }

    @Test("CAD-8/CAD-9: latest +4w → latest +1w (weeks alone) is applied at the next wake at once, cursor + 1 s, and moves the target")
    func deferralWeeksAloneAtOnce() async throws {
        let scenario = try Self.world(start: "2026-03-20T00:00:00Z")
        try await scenario.run(until: "2026-03-20T18:00:00Z")
        // latest +4w on 03-20: 46.2 (02-10 + 4w = 03-10); 46.3 is effective under +1w since 03-17.
        #expect(try scenario.targetVersion("contoso-e") == "46.2.0")
        let partnerLevel = try scenario.request(.setSchedule(cadence: .latest, deferralWeeks: 1), partner: "northwind",
                                                at: "2026-03-20T18:00:00Z")
        let orgLevel = try scenario.request(.setSchedule(cadence: .latest, deferralWeeks: 2), partner: "northwind",
                                            organisation: "fabrikam", as: .customer, at: "2026-03-20T18:00:00Z")
        #expect(partnerLevel.applyBy == at("2026-03-20T18:00:00Z"))
        #expect(orgLevel.applyBy == at("2026-03-20T18:00:00Z"))

        try await scenario.run(until: "2026-03-20T19:00:00Z")
        let next = at("2026-03-20T18:00:01Z")
        #expect(try scenario.scheduleChange(partnerLevel.id).appliedAt == next)
        #expect(try scenario.scheduleChange(orgLevel.id).appliedAt == next)
        #expect(try scenario.wake(at: "2026-03-20T18:00:01Z")?.reasons.contains("change_apply_by") == true)
        #expect(try scenario.effectiveSchedule("contoso") == "latest +1w")
        #expect(try scenario.effectiveSchedule("fabrikam") == "latest +2w")
        #expect(try scenario.target("contoso-e").version == "46.3.0")
        #expect(try scenario.target("contoso-e").setAt == next)
        // fabrikam's +2w: 46.3 only on 03-24 (03-10 + 2w); until then 46.2, unchanged by this wake.
        #expect(try scenario.target("fabrikam-e").version == "46.2.0")
        try await scenario.run(until: "2026-03-25T00:00:00Z")
        #expect(try scenario.target("fabrikam-e").version == "46.3.0")
        #expect(try scenario.target("fabrikam-e").setAt == at("2026-03-24T15:00:00Z"))
    }

    @Test("CAD-4/CAD-8: a partner turning override off → the customer's schedule is no longer in force once the toggle change is applied")
    func overrideTurnedOff() async throws {
        let scenario = try Self.world(start: "2026-03-09T00:00:00Z")
        try await scenario.run(until: "2026-03-09T00:00:00Z")
        try scenario.request(.setSchedule(cadence: .slow, deferralWeeks: 12), partner: "northwind", organisation: "contoso",
                             as: .customer, at: "2026-03-09T00:00:00Z")
        try await scenario.run(until: "2026-03-09T16:00:00Z")
        #expect(try scenario.effectiveSchedule("contoso") == "slow +12w")

        let toggle = try scenario.request(.setAllowCustomerOverride(false), partner: "northwind", at: "2026-03-09T16:00:00Z")
        #expect(toggle.applyBy == at("2026-03-10T15:00:00Z"))
        try await scenario.run(until: "2026-03-10T14:59:59Z")
        #expect(try scenario.effectiveSchedule("contoso") == "slow +12w")
        #expect(try scenario.explain("contoso", at: "2026-03-10T14:59:59Z").cadence == "slow")

        try await scenario.run(until: "2026-03-10T15:00:00Z")
        #expect(try scenario.scheduleChange(toggle.id).appliedAt == at("2026-03-10T15:00:00Z"))
        #expect(try scenario.effectiveSchedule("contoso") == "latest +4w")
        let explanation = try scenario.explain("contoso", at: "2026-03-10T15:00:00Z")
        #expect(explanation.cadence == "latest" && explanation.deferWeeks == 4)
        #expect(explanation.findings == [.organisationScheduleNotInForce, .partnerSchedule])
        // The customer's setting is kept, just not in force; the org follows the partner again:
        // 46.2 becomes effective under latest +4w at this very instant (02-10 08:00 PST + 4w).
        let stored = try scenario.store.settings(organisation: "contoso", reader: .partner, at: at("2026-03-10T15:00:00Z"))
        #expect(stored.cadence == "slow" && stored.scheduleOrigin == "customer")
        #expect(try scenario.target("contoso-e").version == "46.2.0")
        #expect(try scenario.target("contoso-e").setAt == at("2026-03-10T15:00:00Z"))
        // And the customer can no longer change it.
        #expect(throws: StoreError.self) {
            try scenario.request(.setSchedule(cadence: .automatic), partner: "northwind", organisation: "contoso", as: .customer,
                                 at: "2026-03-10T15:00:00Z")
        }
    }
}
