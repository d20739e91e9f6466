import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// UPG-4: while an order is open, automatic endpoint upgrades of the organisation are paused.
///
/// An upgraded organisation has no open order, so the state is reached the way an operator
/// would reach it: `acme` is processed (endpoints due Thursday 17 September), the distributor
/// reverts it and support repairs the row by hand (`generation = 'legacy'` in SQL: a document may
/// not undo the programme's decision, DMN-9), and the partner orders it again on Tuesday
/// 15 September. The endpoints' automatic-upgrade time comes while the order is open.
@Suite("UPG-4 automatic endpoint upgrades paused while an order is open")
struct UpgradeProgrammePauseTests {
    /// `acme` processed through the programme (UPG-5), its endpoints due Thursday 17 September.
    static func processed() async throws -> UpgradeScenario {
        var d = UpgradeDocument()
        d.partner("pz", name: "Pause MSP", delayDays: 2, billingDay: 20)
        d.organisation("acme", name: "Acme", partners: ["pz"])
        d.endpoint("acme-pc1", organisation: "acme")
        d.endpoint("acme-pc2", organisation: "acme")
        let s = try UpgradeScenario(start: "2026-09-14T00:00:00Z", d)
        try s.programme(partner: "pz", announce: "2026-09-14T15:00:00Z", window: "2026-09-14T15:00:00Z",
                        auto: "2026-10-01T15:00:00Z", at: "2026-09-14T00:00:00Z")
        try await s.run(until: "2026-09-14T16:00:00Z")
        try s.requestUpgrade(partner: "pz", ["acme"], at: "2026-09-14T16:00:00Z")
        try await s.run(until: "2026-09-14T17:00:00Z")
        try s.answer("acme", processed: true, at: "2026-09-14T17:00:00Z")
        try await s.run(until: "2026-09-15T16:00:00Z")
        // 10:00 PDT Monday + 2 days → Wednesday 10:00 → Thursday's boundary.
        #expect(try s.endpoint("acme-pc1").upgradeAt == at("2026-09-17T15:00:00Z"))
        return s
    }

    static func scenario() async throws -> UpgradeScenario {
        let s = try await processed()
        try s.store.write { db in try db.execute(sql: "UPDATE organisation SET generation = 'legacy' WHERE id = 'acme'") }
        try s.requestUpgrade(partner: "pz", ["acme"], at: "2026-09-15T16:30:00Z")
        return s
    }

    @Test("no endpoint is triggered while the order is open, and none is owed a wake")
    func paused() async throws {
        let s = try await Self.scenario()
        try await s.run(until: "2026-09-21T15:00:00Z")
        for endpoint in ["acme-pc1", "acme-pc2"] {
            #expect(try s.endpoint(endpoint).state == "pending")
        }
        #expect(try s.notices(.endpointUpgradeAvailable, organisation: "acme").isEmpty)
        let reasons = try wakeRows(s.store).filter { $0.at >= at("2026-09-15T16:30:00Z") }.map(\.reasons)
        #expect(!reasons.contains { $0.contains("endpoint_upgrade") }, "\(reasons)")
        let next = try #require(try s.store.nextWake(rules: Rules.all, context: s.context))
        #expect(!next.reasons.contains { $0.kind == "endpoint_upgrade" })
        #expect(try s.store.progress(partner: "pz").first?.endpoints == ["pending": 2])
    }

    @Test("when the order closes, the endpoints are triggered then, with the full deferral period")
    func resumed() async throws {
        let s = try await Self.scenario()
        try await s.run(until: "2026-09-21T15:00:00Z")
        // The distributor fails the order at 16:00 Monday: the pause ends at that wake.
        try s.answer("acme", processed: false, reason: "duplicate order", at: "2026-09-21T16:00:00Z")
        try await s.run(until: "2026-09-21T17:00:00Z")
        let row = try s.endpoint("acme-pc1")
        #expect(row.state == "notified")
        #expect(row.triggeredAt == at("2026-09-21T16:00:00Z"), "triggered at \(row.triggeredAt.map(iso) ?? "-")")
        #expect(row.deadline == at("2026-09-28T16:00:00Z"), "D = \(row.deadline.map(iso) ?? "-"): the end user must get the full 7 days")
        let available = try s.notices(.endpointUpgradeAvailable, organisation: "acme")
        #expect(available.map(\.dueAt) == [at("2026-09-21T16:00:00Z"), at("2026-09-21T16:00:00Z")])
        #expect(available.allSatisfy { $0.body.contains("until Monday 28 September 2026, 09:00 PDT") }, "\(available.map(\.body))")
    }
}
