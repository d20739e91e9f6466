import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// CAD-1 and CAD-4 at the store's edge: what a console or `rolloutctl schedule set` may ask for,
/// and that a refused request writes nothing (no `schedule_change` row, nothing for a wake to apply).
@Suite struct ReleaseManagementRefusalTests {
    /// - northwind: release management on, customer override off at partner level;
    /// - bleu: release management on, override on, but fabrikam turned it off at org level;
    /// - acme: release management off.
    static func world() throws -> RMScenario {
        var document = ReleaseDocument()
        document.partner("northwind", schedule: ("latest", 4), allowCustomerOverride: false)
        document.partner("bleu", schedule: ("slow", 12))
        document.partner("acme", releaseManagement: false)
        document.organisation("contoso", partners: ["northwind"])
        document.organisation("fabrikam", partners: ["bleu"], allowCustomerOverride: false)
        document.organisation("tailspin", partners: ["bleu"])
        document.organisation("wingtip", partners: ["acme"])
        document.user("contoso-u1", organisation: "contoso")
        document.endpoint("contoso-e1", organisation: "contoso", user: "contoso-u1", platform: "windows", installed: "46.1.0")
        document.monthlyReleases()
        return try RMScenario(start: "2026-03-09T00:00:00Z", document)
    }

    /// The refusal of `body`, which must throw `StoreError.refused`.
    static func refusal(_ body: () throws -> Void) -> StoreError? {
        do {
            try body()
            return nil
        } catch let error as StoreError {
            return error
        } catch {
            Issue.record("unexpected error \(error)")
            return nil
        }
    }

    @Test("CAD-1: a deferral out of bounds is refused with a message naming the bound, for every cadence and scope; nothing is written",
          arguments: [
              (Cadence.latest, 5, "contoso" as String?, "between 0 and 4 weeks"),
              (Cadence.latest, -1, "contoso", "between 0 and 4 weeks"),
              (Cadence.slow, 13, "contoso", "between 0 and 12 weeks"),
              (Cadence.automatic, 1, "contoso", "between 0 and 0 weeks"),
              (Cadence.slow, 13, nil, "between 0 and 12 weeks"),
              (Cadence.latest, 6, nil, "between 0 and 4 weeks"),
          ])
    func deferralOutOfBounds(cadence: Cadence, weeks: Int, organisation: String?, bound: String) throws {
        let scenario = try Self.world()
        let error = Self.refusal {
            try scenario.request(.setSchedule(cadence: cadence, deferralWeeks: weeks), partner: "northwind",
                                 organisation: organisation, at: "2026-03-09T10:00:00Z")
        }
        #expect(error?.code == .refused)
        #expect(error?.message.contains(bound) == true, "\(error?.message ?? "no error")")
        #expect(error?.message.contains("'\(cadence.rawValue)'") == true)
        #expect(error?.message.contains("\(weeks) weeks") == true)
        #expect(try scenario.scheduleChangeCount() == 0)
    }

    @Test("CAD-4: a customer admin is refused while override is not allowed — by the partner-level toggle, or by the org-level one")
    func customerWithoutOverride() throws {
        let scenario = try Self.world()
        let byPartner = Self.refusal {
            try scenario.request(.setSchedule(cadence: .slow, deferralWeeks: 8), partner: "northwind", organisation: "contoso",
                                 as: .customer, at: "2026-03-09T10:00:00Z")
        }
        #expect(byPartner?.code == .refused)
        #expect(byPartner?.message.contains("customer override is not allowed") == true, "\(byPartner?.message ?? "")")
        #expect(byPartner?.message.contains("partner northwind") == true)

        let byOrganisation = Self.refusal {
            try scenario.request(.resetSchedule, partner: "bleu", organisation: "fabrikam", as: .customer, at: "2026-03-09T10:00:00Z")
        }
        #expect(byOrganisation?.code == .refused)
        #expect(byOrganisation?.message.contains("org-level allow_customer_override") == true, "\(byOrganisation?.message ?? "")")

        // The toggle itself is the partner's decision.
        let toggle = Self.refusal {
            try scenario.request(.setAllowCustomerOverride(true), partner: "bleu", organisation: "tailspin", as: .customer,
                                 at: "2026-03-09T10:00:00Z")
        }
        #expect(toggle?.code == .refused)
        #expect(try scenario.scheduleChangeCount() == 0)

        // Where override is allowed, the same customer request goes through: the count above is real.
        try scenario.request(.setSchedule(cadence: .slow, deferralWeeks: 8), partner: "bleu", organisation: "tailspin",
                             as: .customer, at: "2026-03-09T10:00:00Z")
        #expect(try scenario.scheduleChangeCount() == 1)
    }

    @Test("CAD-4: anything is refused while release management is off for the partner — schedule, reset, toggle, partner level, customer")
    func releaseManagementOff() throws {
        let scenario = try Self.world()
        let attempts: [(String, () throws -> Void)] = [
            ("org schedule", { try scenario.request(.setSchedule(cadence: .latest, deferralWeeks: 2), partner: "acme",
                                                    organisation: "wingtip", at: "2026-03-09T10:00:00Z") }),
            ("org reset", { try scenario.request(.resetSchedule, partner: "acme", organisation: "wingtip", at: "2026-03-09T10:00:00Z") }),
            ("org toggle", { try scenario.request(.setAllowCustomerOverride(false), partner: "acme", organisation: "wingtip",
                                                  at: "2026-03-09T10:00:00Z") }),
            ("partner schedule", { try scenario.request(.setSchedule(cadence: .slow, deferralWeeks: 12), partner: "acme",
                                                        at: "2026-03-09T10:00:00Z") }),
            ("partner toggle", { try scenario.request(.setAllowCustomerOverride(false), partner: "acme", at: "2026-03-09T10:00:00Z") }),
            ("customer schedule", { try scenario.request(.setSchedule(cadence: .automatic), partner: "acme", organisation: "wingtip",
                                                         as: .customer, at: "2026-03-09T10:00:00Z") }),
        ]
        for (name, attempt) in attempts {
            let error = Self.refusal(attempt)
            #expect(error?.code == .refused, "\(name)")
            #expect(error?.message.contains("release management is off for partner acme") == true, "\(name): \(error?.message ?? "")")
        }
        #expect(try scenario.scheduleChangeCount() == 0)
    }

    @Test("CAD-4: a partner that does not manage the organisation is refused, whatever it asks")
    func partnerNotManaging() throws {
        let scenario = try Self.world()
        for request in [ScheduleEditRequest.setSchedule(cadence: .latest, deferralWeeks: 1), .resetSchedule,
                        .setAllowCustomerOverride(true)] {
            let error = Self.refusal {
                try scenario.request(request, partner: "bleu", organisation: "contoso", at: "2026-03-09T10:00:00Z")
            }
            #expect(error?.code == .refused, "\(request)")
            #expect(error?.message.contains("does not manage") == true, "\(error?.message ?? "")")
        }
        #expect(try scenario.scheduleChangeCount() == 0)
        // A partner admin always may set an org-level schedule of an organisation it manages,
        // even with customer override off (CAD-4).
        try scenario.request(.setSchedule(cadence: .slow, deferralWeeks: 8), partner: "northwind", organisation: "contoso",
                             at: "2026-03-09T10:00:00Z")
        #expect(try scenario.scheduleChangeCount() == 1)
    }

    @Test("a refused request leaves nothing for the daemon: no wake applies anything, settings and targets unchanged")
    func refusedRequestsLeaveNoWork() async throws {
        let scenario = try Self.world()
        try await scenario.run(until: "2026-03-09T01:00:00Z")
        let before = try scenario.targetVersion("contoso-e1")
        _ = Self.refusal {
            try scenario.request(.setSchedule(cadence: .latest, deferralWeeks: 9), partner: "northwind",
                                 organisation: "contoso", at: "2026-03-09T01:00:00Z")
        }
        _ = Self.refusal {
            try scenario.request(.setSchedule(cadence: .automatic), partner: "northwind", organisation: "contoso", as: .customer,
                                 at: "2026-03-09T01:00:00Z")
        }
        try await scenario.run(until: "2026-03-11T00:00:00Z")
        #expect(try scenario.scheduleChangeCount() == 0)
        #expect(try scenario.count("SELECT count(*) FROM decision WHERE rule = 'CAD-8'") == 0)
        #expect(try scenario.count("SELECT count(*) FROM notification WHERE kind = 'schedule_change_applied'") == 0)
        #expect(try scenario.wakes().allSatisfy { !$0.reasons.contains("change_apply_by") })
        #expect(try scenario.effectiveSchedule("contoso") == "latest +4w")
        // latest +4w on 03-09: 46.1 (01-13 + 4w = 02-10); on 03-10 15:00Z 46.2 becomes effective.
        #expect(before == "46.1.0")
        #expect(try scenario.targetVersion("contoso-e1") == "46.2.0")
    }
}
