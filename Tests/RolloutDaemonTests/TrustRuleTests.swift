import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// Rules found bent in use (issue #9, findings 13–15), through the daemon's loop.
@Suite struct TrustRuleTests {
    @Test("finding 13, CAD-8: a wake only sees requests made at or before its instant")
    func futureRequestDoesNotCoalesceEarly() async throws {
        let scenario = try ReleaseManagementChangeTimingTests.world(start: "2026-03-10T00:00:00Z")
        try await scenario.run(until: "2026-03-10T18:00:00Z")
        let now = try scenario.request(.setSchedule(cadence: .slow, deferralWeeks: 12), partner: "northwind",
                                       organisation: "contoso", at: "2026-03-10T18:00:00Z")
        // Recorded with --at ahead of the loop's clock: after Wednesday's boundary.
        let ahead = try scenario.request(.setSchedule(cadence: .automatic), partner: "northwind",
                                         organisation: "contoso", at: "2026-03-11T20:00:00Z")
        #expect(now.applyBy == at("2026-03-11T15:00:00Z"))
        #expect(ahead.applyBy == at("2026-03-12T15:00:00Z"))

        try await scenario.run(until: "2026-03-11T16:00:00Z")
        #expect(try scenario.scheduleChange(now.id) == .init(id: now.id, appliedAt: at("2026-03-11T15:00:00Z"), supersededAt: nil))
        #expect(try scenario.scheduleChange(ahead.id) == .init(id: ahead.id, appliedAt: nil, supersededAt: nil),
                "applied before it was even requested")
        #expect(try scenario.effectiveSchedule("contoso") == "slow +12w")

        try await scenario.run(until: "2026-03-12T16:00:00Z")
        #expect(try scenario.scheduleChange(ahead.id).appliedAt == at("2026-03-12T15:00:00Z"))
        #expect(try scenario.effectiveSchedule("contoso") == "automatic +0w")
    }

    @Test("finding 14, UPG-9: a partner with legacy customers and no programme gets the monthly declaration notice")
    func declarationsWithoutProgramme() async throws {
        var d = UpgradeDocument()
        d.partner("plain", name: "Plain MSP", billingDay: 20)
        d.organisation("old-co", partners: ["plain"])
        d.endpoint("old-pc", organisation: "old-co")
        d.partner("done", name: "Cloud-only MSP", billingDay: 20)
        d.organisation("new-co", partners: ["done"], generation: "cloud")
        let s = try UpgradeScenario(start: "2026-09-14T00:00:00Z", d)
        try await s.run(until: "2026-11-21T00:00:00Z")
        #expect(try s.dueInstants(.monthlyLegacyDeclaration, partner: "plain")
                == [at("2026-09-20T15:00:00Z"), at("2026-10-20T15:00:00Z"), at("2026-11-20T16:00:00Z")])
        #expect(try s.dueInstants(.monthlyLegacyDeclaration, partner: "done").isEmpty, "no legacy customer, no declaration")
    }

    @Test("finding 15, UPG-4: while an order is open, the forced install at D waits too; it happens when the order closes")
    func openOrderHoldsTheForcedInstall() async throws {
        let s = try await UpgradeProgrammePauseTests.processed()
        try await s.run(until: "2026-09-17T16:00:00Z")
        let triggered = try s.endpoint("acme-pc1")
        #expect(triggered.state == "notified")
        let deadline = try #require(triggered.deadline)
        #expect(deadline == at("2026-09-24T15:00:00Z"))
        // The distributor reverted the upgrade; support repairs the row, the partner orders again.
        try s.store.write { db in try db.execute(sql: "UPDATE organisation SET generation = 'legacy' WHERE id = 'acme'") }
        try s.requestUpgrade(partner: "pz", ["acme"], at: "2026-09-18T16:00:00Z")

        try await s.run(until: "2026-09-28T15:30:00Z")
        for endpoint in ["acme-pc1", "acme-pc2"] {
            #expect(try s.endpoint(endpoint).state == "notified", "\(endpoint) moved by time while the order was open")
        }
        #expect(try s.notices(.endpointInstalling, organisation: "acme").isEmpty)
        let reasons = try wakeRows(s.store).filter { $0.at > deadline }.map(\.reasons)
        #expect(!reasons.contains { $0.contains("deferral_deadline") }, "an undecidable deadline woke the loop: \(reasons)")

        try s.answer("acme", processed: false, reason: "duplicate order", at: "2026-09-28T16:00:00Z")
        try await s.run(until: "2026-09-28T17:00:00Z")
        #expect(try s.endpoint("acme-pc1").state == "installing")
        #expect(try s.decisions(rule: "UPG-6", subject: "acme-pc1").last?.at == at("2026-09-28T16:00:00Z"))
    }
}
