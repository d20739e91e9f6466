import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// CAD-3 (which schedule an organisation follows, and why) and CAD-5 (an org-level schedule
/// detaches the organisation from its partner; removing it re-attaches), through requests and wakes.
@Suite struct ReleaseManagementScheduleTests {
    @Test("CAD-3.1: two partners with different schedules → automatic, explain says conflict; once they agree, the org follows them")
    func conflictThenAgreement() async throws {
        var document = ReleaseDocument()
        document.partner("northwind", schedule: ("latest", 2))
        document.partner("bleu", schedule: ("slow", 12), locale: "fr")
        document.organisation("tailspin", partners: ["northwind", "bleu"])
        document.user("u1", organisation: "tailspin")
        document.endpoint("tailspin-old", organisation: "tailspin", user: "u1", platform: "windows", installed: "46.1.0")
        document.endpoint("tailspin-new", organisation: "tailspin", user: "u1", platform: "macos", installed: "46.9.0")
        document.monthlyReleases()
        let scenario = try RMScenario(start: "2026-09-15T00:00:00Z", document)
        try await scenario.run(until: "2026-09-15T01:00:00Z")

        #expect(try scenario.effectiveSchedule("tailspin") == "automatic +0w")
        let conflict = try scenario.explain("tailspin", at: "2026-09-15T01:00:00Z")
        #expect(conflict.cadence == "automatic" && conflict.deferWeeks == 0)
        #expect(conflict.findings == [.conflict, .conflict])
        #expect(Set(conflict.reasons.compactMap(\.partnerID)) == ["northwind", "bleu"])
        // Automatic on 09-15: 46.9 (09-08); neither latest +2w (46.8) nor slow +12w (46.6).
        #expect(try scenario.targetVersion("tailspin-old") == "46.9.0")

        // bleu moves to northwind's schedule: a cadence change, applied at the next boundary.
        let receipt = try scenario.request(.setSchedule(cadence: .latest, deferralWeeks: 2), partner: "bleu",
                                           at: "2026-09-15T01:00:00Z")
        #expect(receipt.subject == "partner:bleu")
        #expect(receipt.applyBy == at("2026-09-15T15:00:00Z"))
        try await scenario.run(until: "2026-09-15T14:59:59Z")
        #expect(try scenario.effectiveSchedule("tailspin") == "automatic +0w")

        try await scenario.run(until: "2026-09-15T15:00:00Z")
        #expect(try scenario.effectiveSchedule("tailspin") == "latest +2w")
        let agreed = try scenario.explain("tailspin", at: "2026-09-15T15:00:00Z")
        #expect(agreed.cadence == "latest" && agreed.deferWeeks == 2)
        #expect(!agreed.findings.contains(.conflict))
        #expect(agreed.findings.contains(.partnersAgree))
        #expect(agreed.findings.last == .partnerSchedule)
        #expect(try scenario.count("""
            SELECT count(*) FROM decision WHERE rule = 'CAD-3' AND subject_id = 'tailspin' AND wake_at = ?
            """, [Instant.seconds(at("2026-09-15T15:00:00Z"))]) == 1)
        // It now follows latest +2w: 46.8 at once (46.9 is not effective under it yet), and
        // 46.9 at 09-22 08:00 PDT. The endpoint already on 46.9 is never moved down.
        #expect(try scenario.target("tailspin-old").version == "46.8.0")
        #expect(try scenario.targetVersion("tailspin-new") == "46.9.0")
        try await scenario.run(until: "2026-09-23T00:00:00Z")
        #expect(try scenario.target("tailspin-old").version == "46.9.0")
        #expect(try scenario.target("tailspin-old").setAt == at("2026-09-22T15:00:00Z"))
        #expect(try scenario.targetHistory("tailspin-new").map(\.version) == ["46.9.0"])
        // Both partner's admins hear about bleu's change, in bleu's language for bleu.
        #expect(try scenario.count("""
            SELECT count(*) FROM notification WHERE kind = 'schedule_change_applied' AND partner_id = 'bleu' AND locale = 'fr'
            """) == 1)
    }

    @Test("CAD-5: an org-level schedule stops partner-level changes reaching the org; `schedule reset` re-attaches it")
    func detachAndReattach() async throws {
        var document = ReleaseDocument()
        document.partner("northwind", schedule: ("latest", 4))
        document.organisation("contoso", partners: ["northwind"])
        document.organisation("fabrikam", partners: ["northwind"])
        document.user("contoso-u", organisation: "contoso")
        document.user("fabrikam-u", organisation: "fabrikam")
        document.endpoint("contoso-e", organisation: "contoso", user: "contoso-u", platform: "windows", installed: "46.1.0")
        document.endpoint("fabrikam-e", organisation: "fabrikam", user: "fabrikam-u", platform: "windows", installed: "46.1.0")
        document.monthlyReleases()
        let scenario = try RMScenario(start: "2026-09-14T00:00:00Z", document)
        try await scenario.run(until: "2026-09-14T00:00:00Z")

        // Monday: the partner gives fabrikam its own slow +12w.
        try scenario.request(.setSchedule(cadence: .slow, deferralWeeks: 12), partner: "northwind", organisation: "fabrikam",
                             at: "2026-09-14T00:00:00Z")
        try await scenario.run(until: "2026-09-14T16:00:00Z")
        #expect(try scenario.effectiveSchedule("fabrikam") == "slow +12w")
        #expect(try scenario.explain("fabrikam", at: "2026-09-14T16:00:00Z").findings == [.organisationSchedule, .detachedFromPartner])

        // Then changes its partner-level schedule to automatic: contoso follows, fabrikam does not.
        let partnerChange = try scenario.request(.setSchedule(cadence: .automatic), partner: "northwind", at: "2026-09-14T16:00:00Z")
        #expect(partnerChange.applyBy == at("2026-09-15T15:00:00Z"))
        try await scenario.run(until: "2026-09-15T16:00:00Z")
        #expect(try scenario.effectiveSchedule("contoso") == "automatic +0w")
        #expect(try scenario.effectiveSchedule("fabrikam") == "slow +12w")
        #expect(try scenario.explain("fabrikam", at: "2026-09-15T16:00:00Z").cadence == "slow")
        #expect(try scenario.targetVersion("contoso-e") == "46.9.0")
        // slow +12w: 46.6 (06-09 + 12w = 09-01), but the critical 46.7 was effective on 07-14.
        #expect(try scenario.targetVersion("fabrikam-e") == "46.7.0")
        #expect(try scenario.count("SELECT count(*) FROM decision WHERE rule = 'CAD-3' AND subject_id = 'fabrikam'") == 1)

        // Reset: fabrikam re-attaches to the partner's (new) automatic schedule at the next boundary.
        let reset = try scenario.request(.resetSchedule, partner: "northwind", organisation: "fabrikam", at: "2026-09-15T16:00:00Z")
        #expect(reset.applyBy == at("2026-09-16T15:00:00Z"))
        try await scenario.run(until: "2026-09-16T16:00:00Z")
        #expect(try scenario.effectiveSchedule("fabrikam") == "automatic +0w")
        #expect(try scenario.explain("fabrikam", at: "2026-09-16T16:00:00Z").findings == [.partnerSchedule])
        #expect(try scenario.target("fabrikam-e").version == "46.9.0")
        #expect(try scenario.target("fabrikam-e").setAt == at("2026-09-16T15:00:00Z"))
        let stored = try scenario.store.read { db in
            try Row.fetchOne(db, sql: "SELECT cadence, defer_weeks, schedule_origin FROM organisation WHERE id = 'fabrikam'")!
        }
        #expect(stored["cadence"] as String? == nil && stored["defer_weeks"] as Int? == nil && stored["schedule_origin"] as String? == nil)

        // Re-attached: the next partner-level change reaches it.
        try scenario.request(.setSchedule(cadence: .latest, deferralWeeks: 1), partner: "northwind", at: "2026-09-16T16:00:00Z")
        try await scenario.run(until: "2026-09-17T16:00:00Z")
        #expect(try scenario.effectiveSchedule("fabrikam") == "latest +1w")
        #expect(try scenario.effectiveSchedule("contoso") == "latest +1w")
    }
}
