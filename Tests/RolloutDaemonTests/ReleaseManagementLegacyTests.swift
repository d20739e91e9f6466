import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// CAD-10: legacy deferrals in months drive decisions at once, are migrated on a customer
/// admin's first read of the organisation's settings (only then, only once), and an invalid one
/// is reported and treated as automatic without stopping anything.
@Suite struct ReleaseManagementLegacyTests {
    /// northwind has release management on and no partner-level schedule (automatic).
    static func world() throws -> RMScenario {
        var document = ReleaseDocument()
        document.partner("northwind")
        document.organisation("lamna", partners: ["northwind"], legacyDeferMonths: 1)
        document.organisation("adatum", partners: ["northwind"], legacyDeferMonths: 3)
        document.organisation("wingtip", partners: ["northwind"], legacyDeferMonths: 2)
        document.organisation("contoso", partners: ["northwind"])
        for org in ["lamna", "adatum", "wingtip", "contoso"] {
            document.user("\(org)-u", organisation: org)
            document.endpoint("\(org)-e", organisation: org, user: "\(org)-u", platform: "windows", installed: "46.1.0")
        }
        document.monthlyReleases()
        return try RMScenario(start: "2026-04-01T00:00:00Z", document)
    }

    static func legacyColumns(_ scenario: RMScenario, _ organisation: String) throws -> Row {
        try scenario.store.read { db in
            try Row.fetchOne(db, sql: """
                SELECT cadence, defer_weeks, schedule_origin, legacy_defer_months, legacy_migrated_at FROM organisation WHERE id = ?
                """, arguments: [organisation])!
        }
    }

    @Test("CAD-10: months 1 → latest +4w, 3 → slow +12w drive targets at the first wake, before anyone reads the settings")
    func mappingUsedAtOnce() async throws {
        let scenario = try Self.world()
        try await scenario.run(until: "2026-04-01T01:00:00Z")
        #expect(try scenario.effectiveSchedule("lamna") == "latest +4w")
        #expect(try scenario.effectiveSchedule("adatum") == "slow +12w")
        #expect(try scenario.explain("lamna", at: "2026-04-01T01:00:00Z").findings
            == [.legacyMapped, .organisationSchedule, .detachedFromPartner])
        // 04-01: automatic gives 46.3 (03-10); latest +4w gives 46.2 (02-10 + 4w = 03-10); slow +12w
        // nothing newer than 46.1 (45.12 + 12w = 03-03, 46.1 + 12w = 04-07).
        #expect(try scenario.targetVersion("contoso-e") == "46.3.0")
        #expect(try scenario.targetVersion("lamna-e") == "46.2.0")
        #expect(try scenario.targetVersion("adatum-e") == "46.1.0")
        // Nothing was migrated by deciding.
        let lamna = try Self.legacyColumns(scenario, "lamna")
        #expect(lamna["cadence"] as String? == nil && lamna["legacy_migrated_at"] as Int64? == nil)

        try await scenario.run(until: "2026-04-08T00:00:00Z")
        #expect(try scenario.target("lamna-e").version == "46.3.0")
        #expect(try scenario.target("lamna-e").setAt == at("2026-04-07T15:00:00Z"))
    }

    @Test("CAD-10: a customer admin's first read migrates (cadence written, time recorded); a second read does not; a partner's read never does")
    func migrationOnCustomerRead() async throws {
        let scenario = try Self.world()
        try await scenario.run(until: "2026-04-01T01:00:00Z")

        let byPartner = try scenario.store.settings(organisation: "lamna", reader: .partner, at: at("2026-04-01T01:00:00Z"))
        #expect(!byPartner.migratedNow)
        #expect(byPartner.legacyMigratedAt == nil && byPartner.cadence == nil)
        #expect(byPartner.legacyDeferMonths == 1)
        #expect(byPartner.effective.schedule == (try Schedule(cadence: .latest, deferralWeeks: 4)))
        #expect(try Self.legacyColumns(scenario, "lamna")["legacy_migrated_at"] as Int64? == nil)

        let first = try scenario.store.settings(organisation: "lamna", reader: .customer, at: at("2026-04-01T02:00:00Z"))
        #expect(first.migratedNow)
        #expect(first.cadence == "latest" && first.deferWeeks == 4)
        #expect(first.scheduleOrigin == "customer")
        #expect(first.legacyMigratedAt == at("2026-04-01T02:00:00Z"))
        #expect(first.legacyProblem == nil)
        #expect(first.effective.schedule == (try Schedule(cadence: .latest, deferralWeeks: 4)))
        #expect(try scenario.count("SELECT count(*) FROM decision WHERE rule = 'CAD-10' AND subject_id = 'lamna'") == 1)

        let second = try scenario.store.settings(organisation: "lamna", reader: .customer, at: at("2026-04-02T09:00:00Z"))
        #expect(!second.migratedNow)
        #expect(second.legacyMigratedAt == at("2026-04-01T02:00:00Z"))
        #expect(second.cadence == "latest" && second.deferWeeks == 4)
        #expect(try scenario.count("SELECT count(*) FROM decision WHERE rule = 'CAD-10' AND subject_id = 'lamna'") == 1)
        let stored = try Self.legacyColumns(scenario, "lamna")
        #expect(stored["cadence"] as String? == "latest" && stored["defer_weeks"] as Int? == 4)
        #expect(stored["legacy_migrated_at"] as Int64? == Instant.seconds(at("2026-04-01T02:00:00Z")))

        // Decisions do not move because of the migration: same schedule, same targets.
        try await scenario.run(until: "2026-04-08T00:00:00Z")
        #expect(try scenario.effectiveSchedule("lamna") == "latest +4w")
        #expect(try scenario.target("lamna-e").setAt == at("2026-04-07T15:00:00Z"))
        #expect(try scenario.count("SELECT count(*) FROM decision WHERE rule = 'CAD-3' AND subject_id = 'lamna'") == 0)
    }

    @Test("CAD-10: an invalid legacy value (2) is reported and treated as automatic; the daemon keeps deciding")
    func invalidLegacyValue() async throws {
        let scenario = try Self.world()
        try await scenario.run(until: "2026-04-01T01:00:00Z")
        #expect(try scenario.effectiveSchedule("wingtip") == "automatic +0w")
        #expect(try scenario.explain("wingtip", at: "2026-04-01T01:00:00Z").findings.first == .legacyInvalid)
        #expect(try scenario.targetVersion("wingtip-e") == "46.3.0")

        let read = try scenario.store.settings(organisation: "wingtip", reader: .partner, at: at("2026-04-01T01:00:00Z"))
        let problem = try #require(read.legacyProblem)
        #expect(problem.contains("2 month"))
        #expect(read.effective.schedule == .vendorDefault)
        let customerRead = try scenario.store.settings(organisation: "wingtip", reader: .customer, at: at("2026-04-01T02:00:00Z"))
        #expect(customerRead.legacyProblem != nil)
        #expect(customerRead.effective.schedule == .vendorDefault)

        try await scenario.run(until: "2026-04-15T00:00:00Z")
        #expect(try scenario.target("wingtip-e").version == "46.4.0")
        #expect(try scenario.target("wingtip-e").setAt == at("2026-04-14T15:00:00Z"))
        #expect(scenario.recorder.wakes.allSatisfy { $0.skipped.isEmpty })
        #expect(try scenario.targetVersion("lamna-e") == "46.3.0")
    }
}
