import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// OPS-1 pause and resume of the upgrade programme, through the daemon's loop.
///
/// Partner `pz` (7-day end-user deferral, billing day 20) has `acme`, processed on Monday 14
/// September, whose endpoints are triggered on Thursday 17 September (D = Thursday 24th,
/// 15:00Z), and `beta`, legacy and ready, waiting for the automatic upgrade on Thursday 24th.
/// The programme is paused on Friday 18th at 18:00Z and resumed on Monday 28th at 16:00Z, so
/// the pause spans a deferral deadline, a reminder, a billing day (Sunday 20th) and the
/// automatic-upgrade instant.
@Suite("OPS-1 pausing the upgrade programme")
struct ProgrammePauseTests {
    static let pausedAt = "2026-09-18T18:00:00Z"
    static let resumedAt = "2026-09-28T16:00:00Z"
    /// 9 days 22 hours.
    static let span: TimeInterval = 856_800

    static func scenario(locale: String = "en") async throws -> UpgradeScenario {
        var d = UpgradeDocument()
        d.partner("pz", name: "Pause MSP", locale: locale, delayDays: 2, deferralDays: 7, billingDay: 20)
        d.organisation("acme", name: "Acme", partners: ["pz"])
        d.organisation("beta", name: "Beta", partners: ["pz"])
        for endpoint in ["acme-pc1", "acme-pc2", "acme-pc3"] { d.endpoint(endpoint, organisation: "acme") }
        d.endpoint("beta-pc1", organisation: "beta")
        let s = try UpgradeScenario(start: "2026-09-14T00:00:00Z", d)
        try await s.acmeProcessedOnMonday14(partner: "pz", auto: "2026-09-24T15:00:00Z", runUntil: "2026-09-18T10:00:00Z")
        #expect(try s.endpoint("acme-pc1").state == "notified")
        #expect(try s.endpoint("acme-pc1").deadline == at("2026-09-24T15:00:00Z"))
        try s.event(.userDeferred, "acme-pc2", at: "2026-09-18T10:00:00Z")
        #expect(try s.endpoint("acme-pc2").nextReminder == at("2026-09-19T23:00:00Z"))
        try await s.run(until: "2026-09-18T17:00:00Z")
        try s.store.pause(partner: "pz", organisation: nil, areas: [.programme], reason: "agent 14.3 crashes on boot",
                          actor: "operator", at: at(pausedAt))
        return s
    }

    @Test("while paused: no forced install at D, no reminder, no automatic order; facts and billing go on; no wake is owed")
    func paused() async throws {
        let s = try await Self.scenario()
        // A fact during the pause: the end user of pc3 chooses to install now.
        try await s.run(until: "2026-09-21T12:00:00Z")
        #expect(try s.event(.userUpgradeNow, "acme-pc3", at: "2026-09-21T12:00:00Z") == .installing)
        try await s.run(until: "2026-09-28T15:00:00Z")

        #expect(try s.endpoint("acme-pc1").state == "notified", "D passed during the pause: nothing is forced")
        #expect(try s.endpoint("acme-pc2").state == "deferred")
        #expect(try s.endpoint("acme-pc3").state == "installing", "facts keep being recorded")
        #expect(try s.notices(.endpointInstalling, endpoint: "acme-pc1").isEmpty)
        #expect(try s.notices(.endpointUpgradeReminder, organisation: "acme").isEmpty)
        #expect(try s.orders("beta").isEmpty, "no automatic order while paused (UPG-7 held)")
        // Billing is not a rollout movement: the monthly declaration is still due (docs/decisions.md).
        #expect(try s.dueInstants(.monthlyLegacyDeclaration, partner: "pz") == [at("2026-09-20T15:00:00Z")])
        // No wake was spent on held deadlines: only boundaries, the pause, the billing day and the fact.
        let reasons = try wakeRows(s.store).filter { $0.at > at(Self.pausedAt) }.map(\.reasons)
        #expect(!reasons.contains { $0.contains("deferral_deadline") || $0.contains("endpoint_reminder") }, "\(reasons)")
        let next = try #require(try s.store.nextWake(rules: Rules.all, context: s.context))
        #expect(next.at == at("2026-09-28T15:00:00Z") || next.isBoundary, "\(next)")

        let paused = try s.notices(.rolloutPaused, partner: "pz")
        #expect(paused.count == 1)
        #expect(paused.first?.dueAt == at(Self.pausedAt))
        #expect(paused.first?.body.contains("agent 14.3 crashes on boot") == true, "\(paused)")
        #expect(paused.first?.subject == "Paused: the upgrade programme for Pause MSP")
        let note = try #require(s.summary(at: Self.pausedAt)?.notes.first)
        #expect(note.kind == .paused)
        #expect(note.partner == "pz")
        #expect(try s.decisions(rule: "OPS-1", subject: "pz").map(\.after) == ["programme paused by operator: agent 14.3 crashes on boot"])
        let listed = try s.store.activePauses(partner: "pz")
        #expect(listed.map(\.what) == ["programme"])
        #expect(try s.store.status(now: at("2026-09-22T00:00:00Z"), rules: Rules.all, context: s.context, tolerance: 300).pauses == listed)
        #expect(try s.store.progress(partner: "pz").first?.pauses == listed)
    }

    @Test("resume: D and reminders move by the pause's length; held orders and triggers are decided at the resume wake")
    func resumed() async throws {
        let s = try await Self.scenario()
        try await s.run(until: "2026-09-28T15:00:00Z")
        let beforeD = try #require(try s.endpoint("acme-pc1").deadline)
        let beforeReminder = try #require(try s.endpoint("acme-pc2").nextReminder)
        let resumed = try s.store.resume(partner: "pz", organisation: nil, areas: [.programme], actor: "operator", at: at(Self.resumedAt))
        #expect(resumed.first?.resumedAt == at(Self.resumedAt))
        try await s.run(until: "2026-09-28T17:00:00Z")

        #expect(try s.endpoint("acme-pc1").deadline == beforeD.addingTimeInterval(Self.span), "nobody gets less time than promised")
        #expect(try s.endpoint("acme-pc1").deadline == at("2026-10-04T13:00:00Z"))
        #expect(try s.endpoint("acme-pc2").nextReminder == beforeReminder.addingTimeInterval(Self.span))
        #expect(try s.endpoint("acme-pc1").state == "notified")
        let order = try #require(try s.orders("beta").first, "the automatic order held by the pause is placed at the resume wake")
        #expect(order.orderedAt == at(Self.resumedAt))
        #expect(order.automatic)
        #expect(try s.notices(.rolloutResumed, partner: "pz").map(\.dueAt) == [at(Self.resumedAt)])
        #expect(s.summary(at: Self.resumedAt)?.notes.contains { $0.kind == .resumed } == true)
        #expect(try s.store.activePauses(partner: "pz").isEmpty)

        // The moved deadline is kept: at the new D the upgrade installs.
        try await s.run(until: "2026-10-05T16:00:00Z")
        #expect(try s.endpoint("acme-pc1").state == "installing")
        #expect(try s.dueInstants(.endpointInstalling, endpoint: "acme-pc1") == [at("2026-10-04T13:00:00Z")])
    }

    @Test("an endpoint whose upgrade time falls in the pause is triggered at the resume, with the full deferral period")
    func triggerAfterResume() async throws {
        let s = try await Self.scenario()
        // beta is ordered and processed before the pause: its endpoint is due Monday 21st.
        try s.requestUpgrade(partner: "pz", ["beta"], at: "2026-09-18T17:10:00Z")
        try await s.run(until: "2026-09-18T17:30:00Z")
        try s.answer("beta", processed: true, at: "2026-09-18T17:30:00Z")
        try await s.run(until: "2026-09-18T17:40:00Z")
        let due = try #require(try s.endpoint("beta-pc1").upgradeAt)
        #expect(due > at(Self.pausedAt) && due < at(Self.resumedAt), "\(iso(due))")
        try await s.run(until: "2026-09-28T15:00:00Z")
        #expect(try s.endpoint("beta-pc1").state == "pending")
        #expect(try s.notices(.endpointUpgradeAvailable, endpoint: "beta-pc1").isEmpty)
        try s.store.resume(partner: "pz", organisation: nil, areas: [.programme], actor: "operator", at: at(Self.resumedAt))
        try await s.run(until: "2026-09-28T17:00:00Z")
        let row = try s.endpoint("beta-pc1")
        #expect(row.state == "notified")
        #expect(row.triggeredAt == at(Self.resumedAt))
        #expect(row.deadline == at("2026-10-05T16:00:00Z"), "D = the resume + 7 days, \(row.deadline.map(iso) ?? "-")")
    }

    @Test("partner admins are told in their language (fr)")
    func french() async throws {
        let s = try await Self.scenario(locale: "fr")
        try s.store.resume(partner: "pz", organisation: nil, areas: [.programme], actor: "operator", at: at(Self.resumedAt))
        try await s.run(until: "2026-09-28T17:00:00Z")
        let paused = try #require(try s.notices(.rolloutPaused, partner: "pz").first)
        #expect(paused.locale == "fr")
        #expect(paused.subject == "Suspendu : le programme de migration pour Pause MSP")
        let resumed = try #require(try s.notices(.rolloutResumed, partner: "pz").first)
        #expect(resumed.subject == "Repris : le programme de migration pour Pause MSP")
    }

    @Test("requests are checked: reason, scope, no double pause, resume only what is paused, unknown ids")
    func refusals() async throws {
        let s = try await Self.scenario()
        #expect(refusalMessage { try s.store.pause(partner: "pz", organisation: nil, areas: [.programme], reason: "again", actor: "operator",
                                                   at: at("2026-09-19T00:00:00Z")) }?.contains("already paused since 2026-09-18T18:00:00Z") == true)
        #expect(refusalMessage { try s.store.pause(partner: "pz", organisation: "acme", areas: [.releases], reason: " ", actor: "operator",
                                                   at: at("2026-09-19T00:00:00Z")) }?.contains("needs a reason") == true)
        #expect(refusalMessage { try s.store.resume(partner: "pz", organisation: nil, areas: [.releases], actor: "operator",
                                                    at: at("2026-09-19T00:00:00Z")) }?.contains("is not paused") == true)
        #expect(refusalMessage { try s.store.resume(partner: "pz", organisation: nil, areas: [.programme], actor: "operator",
                                                    at: at("2026-09-18T00:00:00Z")) }?.contains("begins at") == true)
        #expect(refusalMessage { try s.store.pause(partner: "nope", organisation: nil, areas: [.programme], reason: "x", actor: "operator",
                                                   at: at("2026-09-19T00:00:00Z")) } == "no such partner 'nope'")
        #expect(try s.store.activePauses().count == 1)
    }
}

/// OPS-1 pausing release management, and OPS-2 cancelling a pending change, through the
/// daemon's loop on the sample state: northwind's organisations (contoso, adatum, fabrikam, and
/// tailspin, which bleu co-manages) get new targets on Tuesday 17 and 24 November.
@Suite("OPS-1 pausing release management, OPS-2 cancelling a change")
struct ReleasePauseTests {
    final class Sample {
        let directory: TemporaryDirectory
        let store: Store
        let settings = LoopSettings(RolloutDaemon.Configuration())
        let recorder = EventRecorder()

        init() throws {
            directory = try TemporaryDirectory()
            store = try Store(path: directory.path("rolloutd.sqlite"))
            try store.startClock(at: at("2026-11-02T00:00:00Z"))
            try store.apply(try Data(contentsOf: packageRoot.appendingPathComponent("examples/sample-state.json")), at: at("2026-11-02T00:00:00Z"))
        }

        deinit { directory.remove() }

        func run(until: String) async throws {
            let start = try store.processedThrough() ?? at(until)
            try await makeLoop(store, rules: Rules.all, clockAt: start, recorder: recorder, settings: settings).run(until: at(until))
        }

        func retargeted(_ organisation: String, after: String) throws -> Int {
            try store.read { db in
                try Int.fetchOne(db, sql: "SELECT count(*) FROM decision WHERE rule = 'CAD-2' AND organisation_id = ? AND wake_at > ?",
                                 arguments: [organisation, Instant.seconds(at(after))]) ?? 0
            }
        }

        func applied(_ organisation: String) throws -> [String] {
            try store.read { db in
                try String.fetchAll(db, sql: "SELECT after FROM decision WHERE rule = 'CAD-8' AND subject_id = ? ORDER BY id", arguments: [organisation])
            }
        }
    }

    @Test("no retargeting and no change applied in the paused scope; the rest of the fleet moves; resume replays")
    func pauseAndResume() async throws {
        let s = try Sample()
        try await s.run(until: "2026-11-13T00:00:00Z")
        try s.store.pause(partner: "northwind", organisation: nil, areas: [.releases], reason: "release 45.11 under review", actor: "operator",
                          at: at("2026-11-13T00:00:00Z"))
        let receipt = try s.store.requestScheduleChange(partner: "northwind", organisation: "fabrikam",
                                                        request: .setSchedule(cadence: .latest, deferralWeeks: 1), actor: .customer,
                                                        at: at("2026-11-13T17:00:00Z"), context: s.settings.rules)
        try await s.run(until: "2026-11-30T00:00:00Z")
        for organisation in ["contoso", "adatum", "fabrikam", "tailspin"] {
            #expect(try s.retargeted(organisation, after: "2026-11-13T00:00:00Z") == 0, "\(organisation) moved while paused")
        }
        #expect(try s.applied("fabrikam").isEmpty, "the change waits for the resume")
        #expect(try s.store.pendingChanges(partner: "northwind", organisation: nil).map(\.id) == [receipt.id])
        let explanation = try s.store.explain(organisation: "fabrikam", user: nil, endpoint: nil, at: at("2026-11-30T00:00:00Z"),
                                              context: s.settings.rules)
        #expect(explanation.pauses.map(\.scope) == ["partner:northwind"])

        try s.store.resume(partner: "northwind", organisation: nil, areas: [.releases], actor: "operator", at: at("2026-11-30T18:00:00Z"))
        try await s.run(until: "2026-11-30T19:00:00Z")
        #expect(try s.applied("fabrikam") == ["schedule latest, 1 week(s)"])
        for organisation in ["contoso", "adatum", "fabrikam"] {
            #expect(try s.retargeted(organisation, after: "2026-11-30T17:59:59Z") > 0, "\(organisation) did not catch up at the resume")
        }
        let resumeWake = try #require(s.recorder.wakes.first { $0.at == at("2026-11-30T18:00:00Z") })
        #expect(resumeWake.reasons.contains { $0.kind == "resume" })
    }

    @Test("an organisation-level pause holds that organisation only")
    func organisationPause() async throws {
        let s = try Sample()
        try await s.run(until: "2026-11-13T00:00:00Z")
        try s.store.pause(partner: "northwind", organisation: "contoso", areas: [.releases], reason: "audit", actor: "operator",
                          at: at("2026-11-13T00:00:00Z"))
        try await s.run(until: "2026-11-30T00:00:00Z")
        #expect(try s.retargeted("contoso", after: "2026-11-13T00:00:00Z") == 0)
        #expect(try s.retargeted("adatum", after: "2026-11-13T00:00:00Z") > 0)
    }

    @Test("cancel: coalescing then considers only the remaining requests; permissions are CAD-4's")
    func cancel() async throws {
        let s = try Sample()
        try await s.run(until: "2026-11-13T00:00:00Z")
        let first = try s.store.requestScheduleChange(partner: "northwind", organisation: "fabrikam",
                                                      request: .setSchedule(cadence: .slow, deferralWeeks: 6), actor: .customer,
                                                      at: at("2026-11-13T17:00:00Z"), context: s.settings.rules)
        let second = try s.store.requestScheduleChange(partner: "northwind", organisation: "fabrikam",
                                                       request: .setSchedule(cadence: .latest, deferralWeeks: 1), actor: .partner,
                                                       at: at("2026-11-13T18:00:00Z"), context: s.settings.rules)
        let partnerLevel = try s.store.requestScheduleChange(partner: "northwind", organisation: nil,
                                                             request: .setSchedule(cadence: .slow, deferralWeeks: 4), actor: .partner,
                                                             at: at("2026-11-13T18:00:00Z"), context: s.settings.rules)
        #expect(try s.store.pendingChanges(partner: nil, organisation: "fabrikam").map(\.id) == [first.id, second.id])
        #expect(refusalMessage { try s.store.cancelChange(id: partnerLevel.id, actor: .customer, at: at("2026-11-13T19:00:00Z")) }?
            .contains("only a partner admin may cancel it") == true)
        #expect(refusalMessage { try s.store.cancelChange(id: 999, actor: .partner, at: at("2026-11-13T19:00:00Z")) } == "no such change request #999")
        let cancelled = try s.store.cancelChange(id: second.id, actor: .partner, at: at("2026-11-13T19:00:00Z"))
        #expect(cancelled.subject == "organisation:fabrikam")
        #expect(refusalMessage { try s.store.cancelChange(id: second.id, actor: .partner, at: at("2026-11-13T19:30:00Z")) }?
            .contains("already cancelled") == true)
        try s.store.cancelChange(id: partnerLevel.id, actor: .partner, at: at("2026-11-13T19:00:00Z"))
        try await s.run(until: "2026-11-16T00:00:00Z")
        #expect(try s.applied("fabrikam") == ["schedule slow, 6 week(s)"], "the remaining request applies, alone")
        #expect(try s.applied("northwind").isEmpty)
        #expect(try s.store.pendingChanges(partner: nil, organisation: nil).isEmpty)
    }

    @Test("a customer admin may not cancel where customer override is not allowed (CAD-4)")
    func customerRefused() async throws {
        let s = try Sample()
        try await s.run(until: "2026-11-13T00:00:00Z")
        // lamna (bleu) does not allow customer override: only its partner may set, so only it may cancel.
        let request = try s.store.requestScheduleChange(partner: "bleu", organisation: "lamna",
                                                        request: .setSchedule(cadence: .latest, deferralWeeks: 2), actor: .partner,
                                                        at: at("2026-11-13T17:00:00Z"), context: s.settings.rules)
        let refusal = refusalMessage { try s.store.cancelChange(id: request.id, actor: .customer, at: at("2026-11-13T18:00:00Z")) }
        #expect(refusal?.hasPrefix("refused: the customer may not cancel request #\(request.id)") == true, "\(refusal ?? "-")")
        #expect(try s.store.pendingChanges(partner: "bleu", organisation: nil).count == 1)
    }
}

/// OPS-3: a partner's programme pauses itself when too many endpoint upgrades fail, and only a
/// person resumes it.
@Suite("OPS-3 failure threshold")
struct FailureThresholdTests {
    /// `acme` of partner `pt` has `count` endpoints, triggered on Thursday 17 September.
    static func scenario(count: Int, threshold: (percent: Int, minimum: Int)? = nil) async throws -> UpgradeScenario {
        var d = UpgradeDocument()
        d.partner("pt", name: "Threshold MSP", delayDays: 2, deferralDays: 7)
        d.organisation("acme", name: "Acme", partners: ["pt"])
        for index in 1...count { d.endpoint("pc\(index)", organisation: "acme") }
        let s = try UpgradeScenario(start: "2026-09-14T00:00:00Z", d)
        if let threshold {
            let document = #"{"partners": [{"id": "pt", "name": "Threshold MSP", "upgrade_delay_days": 2, "end_user_deferral_days": 7, "#
                + #""failure_threshold_percent": \#(threshold.percent), "failure_threshold_minimum": \#(threshold.minimum)}]}"#
            try s.store.apply(Data(document.utf8), at: at("2026-09-14T00:00:00Z"))
        }
        try await s.acmeProcessedOnMonday14(partner: "pt", auto: "2026-10-01T15:00:00Z", runUntil: "2026-09-18T09:00:00Z")
        return s
    }

    /// `installing` endpoints start installing at 10:00; `failures` of them report a failure at 11:00.
    static func failures(_ s: UpgradeScenario, installing: Int, failures: [String]) throws {
        for index in 1...installing { try s.event(.userUpgradeNow, "pc\(index)", at: "2026-09-18T10:00:00Z") }
        for (index, reason) in failures.enumerated() {
            try s.event(.failureReported(reason: reason), "pc\(index + 1)", at: "2026-09-18T11:00:00Z")
        }
    }

    @Test("3 of 22 failed (13.6 % > 10 %, at least 20 started): the programme pauses itself, with counts and reasons")
    func trips() async throws {
        let s = try await Self.scenario(count: 25)
        try Self.failures(s, installing: 22, failures: ["disk full", "disk full", "timeout"])
        try await s.run(until: "2026-09-18T12:00:00Z")
        let pause = try #require(try s.store.activePauses(partner: "pt").first)
        #expect(pause.actor == "failure_threshold")
        #expect(pause.what == "programme")
        #expect(pause.since == at("2026-09-18T11:00:00Z"), "the wake that found it: the failures' instant")
        let notice = try #require(try s.notices(.programmeAutoPaused, partner: "pt").first)
        #expect(notice.body.contains("3 of the 22 endpoints that started installing in the last 7 days failed (13.6 %"), "\(notice.body)")
        #expect(notice.body.contains("Most frequent reasons: disk full (2), timeout (1)."), "\(notice.body)")
        #expect(try s.notices(.rolloutPaused, partner: "pt").isEmpty, "one notification, the one with the counts")
        let note = try #require(s.summary(at: "2026-09-18T11:00:00Z")?.notes.first { $0.kind == .failureThreshold })
        #expect(note.rule == "OPS-3")
        #expect(try s.decisions(rule: "OPS-3", subject: "pt").count == 1)
    }

    @Test("it stays tripped: later wakes and failures neither resume it nor pause it twice; untriggered endpoints wait")
    func staysTripped() async throws {
        let s = try await Self.scenario(count: 25)
        try Self.failures(s, installing: 22, failures: ["disk full", "disk full", "timeout"])
        try await s.run(until: "2026-09-18T12:00:00Z")
        try s.event(.failureReported(reason: "timeout"), "pc4", at: "2026-09-18T13:00:00Z")
        try await s.run(until: "2026-10-01T00:00:00Z")
        #expect(try s.store.activePauses(partner: "pt").count == 1)
        #expect(try s.notices(.programmeAutoPaused, partner: "pt").count == 1)
        // pc23…pc25 were notified on the 17th; D (the 24th) passed during the pause: not forced.
        #expect(try s.endpoint("pc23").state == "notified")
        // Only a person resumes it; the count starts again from the resume.
        try s.store.resume(partner: "pt", organisation: nil, areas: [.programme], actor: "operator", at: at("2026-10-01T00:00:00Z"))
        try await s.run(until: "2026-10-01T01:00:00Z")
        #expect(try s.store.activePauses(partner: "pt").isEmpty)
        try s.event(.failureReported(reason: "timeout"), "pc5", at: "2026-10-01T02:00:00Z")
        try await s.run(until: "2026-10-01T03:00:00Z")
        #expect(try s.store.activePauses(partner: "pt").isEmpty, "one failure after the resume does not trip it again")
    }

    @Test("below the minimum (19 started) nothing trips, whatever the share")
    func minimum() async throws {
        let s = try await Self.scenario(count: 25)
        try Self.failures(s, installing: 19, failures: ["a", "b", "c", "d", "e"])
        try await s.run(until: "2026-09-18T12:00:00Z")
        #expect(try s.store.activePauses(partner: "pt").isEmpty)
    }

    @Test("the threshold is the partner's, from the state document")
    func perPartner() async throws {
        let s = try await Self.scenario(count: 25, threshold: (percent: 50, minimum: 5))
        try Self.failures(s, installing: 22, failures: ["disk full", "disk full", "timeout"])
        try await s.run(until: "2026-09-18T12:00:00Z")
        #expect(try s.store.activePauses(partner: "pt").isEmpty, "3 of 22 is under 50 %")
        let partner = try #require(try s.store.list(.partners, id: "pt").rows.first)
        let columns = try s.store.list(.partners).columns
        #expect(partner[columns.firstIndex(of: "failure_threshold_percent")!] == .int(50))
    }
}

extension UpgradeScenario {
    /// The partner's programme opens on Monday 14 September 2026; `acme` is ordered at 16:00Z and
    /// processed at 17:00Z, so its endpoints (2-day delay) are triggered on Thursday 17th.
    func acmeProcessedOnMonday14(partner: String, auto: String, runUntil: String) async throws {
        try programme(partner: partner, announce: "2026-09-14T15:00:00Z", window: "2026-09-14T15:00:00Z", auto: auto,
                      at: "2026-09-14T00:00:00Z")
        try await run(until: "2026-09-14T16:00:00Z")
        try requestUpgrade(partner: partner, ["acme"], at: "2026-09-14T16:00:00Z")
        try await run(until: "2026-09-14T17:00:00Z")
        try answer("acme", processed: true, at: "2026-09-14T17:00:00Z")
        try await run(until: runUntil)
    }
}
