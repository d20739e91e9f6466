import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// The programme's deadlines across downtime (DMN-2, NOT-3, NOT-1) and a crash between the
/// decisions of a wake and its commit (DMN-3).
@Suite("UPG through downtime and crashes (DMN-2, DMN-3, NOT-1, NOT-3)")
struct UpgradeProgrammeResilienceTests {
    // MARK: downtime

    /// Partner `dt` (billing day 1, 7 days of deferral), programme window Monday 23 February
    /// 2026, automatic upgrade Monday 2 March. `alpha` is processed on 23 February (endpoints
    /// due Wednesday 25 February with a 1-day override), `delta` on 24 February (5 days: due
    /// Monday 2 March), `beta` is left for the automatic upgrade.
    static func downtimeDocument() -> UpgradeDocument {
        var d = UpgradeDocument()
        d.partner("dt", name: "Downtime MSP", billingDay: 1)
        d.organisation("alpha", partners: ["dt"], delayDays: 1)
        d.endpoint("alpha-pc1", organisation: "alpha", checkIn: "2026-02-20T00:00:00Z")
        d.endpoint("alpha-pc2", organisation: "alpha", checkIn: "2026-02-20T00:00:00Z")
        d.organisation("delta", partners: ["dt"], delayDays: 5)
        d.endpoint("delta-pc1", organisation: "delta", checkIn: "2026-02-20T00:00:00Z")
        d.endpoint("delta-pc2", organisation: "delta", platform: "linux", checkIn: "2026-02-20T00:00:00Z")
        d.organisation("beta", partners: ["dt"])
        d.endpoint("beta-pc1", organisation: "beta", checkIn: "2026-02-20T00:00:00Z")
        return d
    }

    /// Runs the downtime scenario up to the moment the daemon stops, Thursday 26 February 00:00Z.
    static func beforeDowntime() async throws -> UpgradeScenario {
        let s = try UpgradeScenario(start: "2026-02-20T00:00:00Z", downtimeDocument())
        try s.programme(partner: "dt", announce: "2026-02-23T16:00:00Z", window: "2026-02-23T16:00:00Z",
                        auto: "2026-03-02T16:00:00Z", at: "2026-02-20T00:00:00Z")
        try await s.run(until: "2026-02-23T17:00:00Z")
        try s.requestUpgrade(partner: "dt", ["alpha", "delta"], at: "2026-02-23T17:00:00Z")
        try await s.run(until: "2026-02-23T18:00:00Z")
        try s.answer("alpha", processed: true, at: "2026-02-23T18:00:00Z")
        try await s.run(until: "2026-02-24T18:00:00Z")
        try s.answer("delta", processed: true, at: "2026-02-24T18:00:00Z")
        try await s.run(until: "2026-02-25T17:00:00Z")
        // alpha triggered at Wednesday's boundary; its first user defers.
        #expect(try s.endpoint("alpha-pc1").deadline == at("2026-03-04T16:00:00Z"))
        try s.event(.userDeferred, "alpha-pc1", at: "2026-02-25T17:00:00Z")
        #expect(try s.endpoint("delta-pc1").upgradeAt == at("2026-03-02T16:00:00Z"))
        try await s.run(until: "2026-02-26T00:00:00Z")
        return s
    }

    @Test("ten days down across an automatic upgrade and a billing day: every notice once, late, at its own instant")
    func downtime() async throws {
        let s = try await Self.beforeDowntime()
        let cursor = try #require(try s.cursor())
        #expect(cursor == at("2026-02-26T00:00:00Z"))
        let beforeCount = try s.count("SELECT count(*) FROM notification")

        // The daemon comes back ten days later (`rolloutctl run --resume-at`).
        try await s.run(until: "2026-03-10T00:00:00Z", clockAt: "2026-03-08T00:00:00Z")

        let catchUp = s.recorder.all.compactMap { event -> (Date, Date)? in
            if case .catchUpStarted(let first, let now) = event { (first, now) } else { nil }
        }
        #expect(catchUp.map { iso($0.0) + " " + iso($0.1) } == ["2026-02-26T16:00:00Z 2026-03-08T00:00:00Z"])

        let gap = try s.store.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM notification WHERE due_at > ? AND due_at <= ? ORDER BY due_at, idempotency_key",
                             arguments: [Instant.seconds(at("2026-02-26T00:00:00Z")), Instant.seconds(at("2026-03-08T00:00:00Z"))])
                .map(UpgradeScenario.notice)
        }
        let expected: [String] = [
            "2026-02-28T00:00:00Z endpoint_upgrade_reminder alpha-pc1",
            "2026-03-01T16:00:00Z monthly_legacy_declaration dt",
            "2026-03-02T08:00:00Z endpoint_upgrade_reminder alpha-pc1",
            "2026-03-02T16:00:00Z endpoint_upgrade_available delta-pc1",
            "2026-03-02T16:00:00Z endpoint_upgrade_available delta-pc2",
            "2026-03-02T16:00:00Z order_placed beta",
            "2026-03-03T16:00:00Z order_unanswered beta",
            "2026-03-04T16:00:00Z endpoint_installing alpha-pc1",
            "2026-03-04T16:00:00Z endpoint_installing alpha-pc2",
        ]
        func line(_ n: UpgradeScenario.Notice) -> String {
            "\(iso(n.dueAt)) \(n.kind) \(n.endpoint ?? n.organisation ?? n.partner ?? "")"
        }
        #expect(gap.map(line).sorted() == expected.sorted())
        #expect(gap.allSatisfy { $0.late }, "\(gap.filter { !$0.late })")
        // Nothing written before the downtime is marked late; the wakes after it are on time.
        #expect(try s.count("SELECT count(*) FROM notification WHERE late = 1 AND due_at <= ?",
                            [Instant.seconds(at("2026-02-26T00:00:00Z"))]) == 0)
        #expect(try s.count("SELECT count(*) FROM notification WHERE late = 1 AND due_at > ?",
                            [Instant.seconds(at("2026-03-08T00:00:00Z"))]) == 0)
        #expect(try s.count("SELECT count(*) FROM notification WHERE due_at <= ?",
                            [Instant.seconds(at("2026-02-26T00:00:00Z"))]) == beforeCount)
        // Each missed wake was replayed at its own instant, in order, marked late.
        let replayed = try wakeRows(s.store).filter { $0.at > at("2026-02-26T00:00:00Z") && $0.at <= at("2026-03-08T00:00:00Z") }
        #expect(replayed.allSatisfy { $0.late })
        for instant in ["2026-02-26T16:00:00Z", "2026-02-28T00:00:00Z", "2026-03-01T16:00:00Z", "2026-03-02T08:00:00Z",
                        "2026-03-02T16:00:00Z", "2026-03-03T16:00:00Z", "2026-03-04T16:00:00Z", "2026-03-06T16:00:00Z"] {
            #expect(replayed.contains { $0.at == at(instant) }, "no replayed wake at \(instant)")
        }
        // The state the gap's decisions left: beta ordered automatically at its instant, delta's
        // endpoints triggered at theirs, with D seven calendar days later across the start of DST
        // (08:00 PST → 08:00 PDT): installing at Monday 9 March 15:00Z, on time.
        #expect(try s.orders("beta").map { "\($0.automatic) \(iso($0.orderedAt)) \($0.chasedAt.map(iso) ?? "-")" }
                == ["true 2026-03-02T16:00:00Z 2026-03-03T16:00:00Z"])
        #expect(try s.endpoint("delta-pc1").triggeredAt == at("2026-03-02T16:00:00Z"))
        #expect(try s.endpoint("delta-pc1").deadline == at("2026-03-09T15:00:00Z"))
        let deltaInstalling = try s.notices(.endpointInstalling, organisation: "delta")
        #expect(deltaInstalling.map { "\(iso($0.dueAt)) \($0.late)" } == ["2026-03-09T15:00:00Z false", "2026-03-09T15:00:00Z false"])

        // NOT-1: the same range again, by this loop and by a second one, emits nothing new.
        let keys = try s.store.read { db in try String.fetchAll(db, sql: "SELECT idempotency_key FROM notification ORDER BY id") }
        let wakes = try wakeCount(s.store)
        try await s.run(until: "2026-03-10T00:00:00Z", clockAt: "2026-03-08T00:00:00Z")
        try await s.run(until: "2026-03-10T00:00:00Z")
        let second = WakeLoop(store: s.store, rules: Rules.all, clock: VirtualClock(startingAt: at("2026-03-08T00:00:00Z")),
                              settings: { [settings = s.settings] in settings }, report: { _ in })
        try await second.run(until: at("2026-03-10T00:00:00Z"))
        // A wake of the gap processed again explicitly is refused by the cursor.
        let replay = try s.store.process(Wake(at: at("2026-03-02T16:00:00Z"), reasons: [.boundary]), rules: Rules.all,
                                         context: s.context, late: true)
        if case .processed = replay { Issue.record("a wake before the cursor was processed again") }
        #expect(try s.store.read { db in try String.fetchAll(db, sql: "SELECT idempotency_key FROM notification ORDER BY id") } == keys)
        #expect(try wakeCount(s.store) == wakes)
    }

    @Test("an answer written while the daemon is down is applied by the replayed wake at its instant, not before")
    func answerDuringDowntime() async throws {
        var d = UpgradeDocument()
        d.partner("solo-msp", name: "Solo MSP", billingDay: 1)
        d.organisation("solo", partners: ["solo-msp"])
        d.endpoint("solo-pc1", organisation: "solo", checkIn: "2026-02-20T00:00:00Z")
        let s = try UpgradeScenario(start: "2026-02-20T00:00:00Z", d)
        try s.programme(partner: "solo-msp", announce: "2026-02-23T16:00:00Z", window: "2026-02-23T16:00:00Z",
                        auto: "2026-03-16T15:00:00Z", at: "2026-02-20T00:00:00Z")
        try await s.run(until: "2026-02-25T17:00:00Z")
        try s.requestUpgrade(partner: "solo-msp", ["solo"], at: "2026-02-25T17:00:00Z")
        try await s.run(until: "2026-02-26T00:00:00Z")
        // Down from Thursday 26 February. The distributor processes the order on Tuesday 3 March,
        // after Sunday 1 March's billing day, when solo was still the partner's legacy customer.
        try s.answer("solo", processed: true, at: "2026-03-03T18:00:00Z")
        try await s.run(until: "2026-03-10T00:00:00Z", clockAt: "2026-03-08T00:00:00Z")

        #expect(try s.dueInstants(.monthlyLegacyDeclaration, partner: "solo-msp") == [at("2026-03-01T16:00:00Z")],
                "the declaration of 1 March is owed: solo was legacy until 3 March")
        #expect(try s.dueInstants(.finalLegacyDeclaration, partner: "solo-msp") == [at("2026-03-03T18:00:00Z")])
        let applied = try #require(try s.orders("solo").first?.appliedAt)
        #expect(applied >= at("2026-03-03T18:00:00Z"), "the answer of 3 March was applied by the wake of \(iso(applied))")
        #expect(try s.decisions(rule: "UPG-5", subject: "solo").allSatisfy { $0.at >= at("2026-03-03T18:00:00Z") })
    }

    // MARK: crash between decision and commit

    /// Partner `cr`: `done` was processed on 14 September with a 16-day override, so its
    /// endpoints fall due at the automatic-upgrade instant, Thursday 1 October 15:00Z, where
    /// `ready1` is ordered automatically and `held1` (outdated agent) is held.
    static func crashScenario() async throws -> UpgradeScenario {
        var d = UpgradeDocument()
        d.partner("cr", name: "Crash MSP", billingDay: 20)
        d.organisation("done", partners: ["cr"], delayDays: 16)
        d.endpoint("done-pc1", organisation: "done")
        d.endpoint("done-pc2", organisation: "done", platform: "macos")
        d.organisation("ready1", partners: ["cr"])
        d.endpoint("ready1-pc1", organisation: "ready1")
        d.organisation("held1", partners: ["cr"])
        d.endpoint("held1-pc1", organisation: "held1", agent: "12.1.0")
        let s = try UpgradeScenario(start: "2026-09-14T00:00:00Z", d)
        try s.programme(partner: "cr", announce: "2026-09-14T15:00:00Z", window: "2026-09-14T15:00:00Z",
                        auto: "2026-10-01T15:00:00Z", at: "2026-09-14T00:00:00Z")
        try await s.run(until: "2026-09-14T16:00:00Z")
        try s.requestUpgrade(partner: "cr", ["done"], at: "2026-09-14T16:00:00Z")
        try await s.run(until: "2026-09-14T17:00:00Z")
        try s.answer("done", processed: true, at: "2026-09-14T17:00:00Z")
        try await s.run(until: "2026-09-30T23:00:00Z")
        #expect(try s.endpoint("done-pc1").upgradeAt == at("2026-10-01T15:00:00Z"))
        return s
    }

    struct Crash: Error {}

    @Test("a wake that throws before its commit leaves every table as it was; the same wake then commits once")
    func crashBeforeCommit() async throws {
        let s = try await Self.crashScenario()
        let wake = try #require(try s.store.nextWake(rules: Rules.all, context: s.context))
        #expect(wake.at == at("2026-10-01T15:00:00Z"))
        #expect(Set(wake.reasons.map(\.kind)).isSuperset(of: ["boundary", "programme", "endpoint_upgrade"]))

        let before = try s.dump()
        #expect(Set(before.keys).isSuperset(of: ["upgrade_order", "endpoint", "notification", "decision", "readiness_item", "wake", "clock"]))
        var decided = false
        #expect(throws: Crash.self) {
            try s.store.process(wake, rules: Rules.all, context: s.context, late: false, beforeCommit: {
                // Every rule has decided and written; the wake row and the cursor are written too.
                decided = true
                throw Crash()
            })
        }
        #expect(decided)
        let after = try s.dump()
        for table in before.keys.sorted() {
            #expect(after[table] == before[table], "table \(table) changed by a wake that did not commit")
        }
        #expect(after.keys.sorted() == before.keys.sorted())
        #expect(try s.cursor() == at("2026-09-30T23:00:00Z"))

        // The same wake, processed normally (the daemon restarted): everything, once.
        guard case .processed(let summary) = try s.store.process(wake, rules: Rules.all, context: s.context, late: false) else {
            Issue.record("the wake was not processed after the crash")
            return
        }
        #expect(summary.decisions["order_placed"] == 1)
        #expect(summary.decisions["endpoint_notified"] == 2)
        #expect(summary.decisions["organisation_held"] == 1)
        #expect(try s.orders("ready1").map { "\($0.state) \($0.automatic)" } == ["ordered true"])
        #expect(try s.endpoint("done-pc1").state == "notified")
        #expect(try s.count("SELECT count(*) FROM notification WHERE due_at = ?", [Instant.seconds(wake.at)]) == 4)
        #expect(try s.count("SELECT count(*) FROM wake WHERE at = ?", [Instant.seconds(wake.at)]) == 1)
        #expect(try s.cursor() == wake.at)
        let committed = try s.dump()
        if case .processed = try s.store.process(wake, rules: Rules.all, context: s.context, late: false) {
            Issue.record("a committed wake was processed twice")
        }
        #expect(try s.dump() == committed)
        // The loop goes on from there: nothing of that wake is decided or emitted again.
        try await s.run(until: "2026-10-02T16:00:00Z")
        #expect(try s.count("SELECT count(*) FROM notification WHERE due_at = ?", [Instant.seconds(wake.at)]) == 4)
        #expect(try s.orders("ready1").count == 1)
        #expect(try s.count("SELECT count(*) FROM decision WHERE wake_at = ?", [Instant.seconds(wake.at)])
                == committed["decision"]!.count - before["decision"]!.count)
    }
}
