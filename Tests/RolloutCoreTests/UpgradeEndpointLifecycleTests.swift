import Foundation
import RolloutCore
import Testing

@Suite("UPG-6 endpoint lifecycle")
struct UpgradeEndpointLifecycleTests {
    static let calendar = BusinessCalendar()
    static func at(_ text: String) -> Date { Instant.parse(text)! }
    static let hour: TimeInterval = 3600
    /// Monday 2 November 2026, 08:00 PST: no DST change in the following week.
    static let trigger = Instant.parse("2026-11-02T16:00:00Z")!
    static let deadline = Instant.parse("2026-11-09T16:00:00Z")!

    static func lifecycle(_ days: Int = 7) throws -> EndpointLifecycle {
        try EndpointLifecycle(deferralLimitDays: days, calendar: calendar)
    }

    static func notified() throws -> EndpointUpgradeRecord {
        try lifecycle().apply(.triggered, to: EndpointUpgradeRecord(), at: trigger).record
    }

    static func deferred() throws -> EndpointUpgradeRecord {
        try lifecycle().apply(.userDeferred, to: notified(), at: trigger.addingTimeInterval(hour)).record
    }

    static func installing() throws -> EndpointUpgradeRecord {
        try lifecycle().apply(.userUpgradeNow, to: notified(), at: trigger.addingTimeInterval(hour)).record
    }

    @Test("pending → notified on trigger: D = trigger + 7 calendar days, end user told until when")
    func trigger() throws {
        let step = try Self.lifecycle().apply(.triggered, to: EndpointUpgradeRecord(), at: Self.trigger)
        #expect(step.record.state == .notified)
        #expect(step.record.triggeredAt == Self.trigger)
        #expect(step.record.deferralDeadline == Self.deadline)
        #expect(step.record.reminders.isEmpty)
        #expect(step.notices == [EndpointNotice(
            kind: .endpointUpgradeAvailable, due: Self.trigger, occurrence: "1793635200", deadline: Self.deadline, reason: nil)])
        #expect(step.record.deadlines == [EndpointDeadline(at: Self.deadline, event: .deadlineReached)])
        #expect(step.record.state.agentGeneration == .legacy)
    }

    @Test("D is calendar days (CAL-4): 7 days from 08:00 PST before the spring change is 08:00 PDT")
    func deadlineAcrossDST() throws {
        let step = try Self.lifecycle().apply(.triggered, to: EndpointUpgradeRecord(), at: Self.at("2026-03-05T16:00:00Z"))
        #expect(step.record.deferralDeadline == Self.at("2026-03-12T15:00:00Z"))
    }

    @Test("notified → deferred: reminders at one and two thirds of the elapsed time to D (56 h and 112 h of 168)")
    func deferral() throws {
        let step = try Self.lifecycle().apply(.userDeferred, to: Self.notified(), at: Self.trigger.addingTimeInterval(Self.hour))
        #expect(step.record.state == .deferred)
        #expect(step.record.reminders == [Self.trigger.addingTimeInterval(56 * Self.hour), Self.trigger.addingTimeInterval(112 * Self.hour)])
        #expect(step.notices.isEmpty)
        #expect(step.record.deadlines == [
            EndpointDeadline(at: Self.trigger.addingTimeInterval(56 * Self.hour), event: .reminderDue),
            EndpointDeadline(at: Self.trigger.addingTimeInterval(112 * Self.hour), event: .reminderDue),
            EndpointDeadline(at: Self.deadline, event: .deadlineReached),
        ])
    }

    @Test("reminders across a DST change are thirds of the 167 elapsed hours, all before D")
    func remindersAcrossDST() throws {
        let trigger = Self.at("2026-03-05T16:00:00Z")
        let notified = try Self.lifecycle().apply(.triggered, to: EndpointUpgradeRecord(), at: trigger).record
        let deferred = try Self.lifecycle().apply(.userDeferred, to: notified, at: trigger).record
        #expect(deferred.reminders == [trigger.addingTimeInterval(55 * Self.hour + 40 * 60), trigger.addingTimeInterval(111 * Self.hour + 20 * 60)])
        #expect(deferred.reminders.allSatisfy { $0 < deferred.deferralDeadline! })
    }

    @Test("a deferral after the first third keeps only the reminder still ahead; deferring again changes nothing")
    func lateDeferral() throws {
        let late = try Self.lifecycle().apply(.userDeferred, to: Self.notified(), at: Self.trigger.addingTimeInterval(60 * Self.hour)).record
        #expect(late.reminders == [Self.trigger.addingTimeInterval(112 * Self.hour)])
        let veryLate = try Self.lifecycle().apply(.userDeferred, to: Self.notified(), at: Self.deadline.addingTimeInterval(-1)).record
        #expect(veryLate.state == .deferred)
        #expect(veryLate.reminders.isEmpty)
        let again = try Self.lifecycle().apply(.userDeferred, to: Self.deferred(), at: Self.trigger.addingTimeInterval(70 * Self.hour))
        #expect(again.record == (try Self.deferred()))
        #expect(again.notices.isEmpty)
    }

    @Test("deferring at or after D is refused")
    func deferralAfterDeadline() throws {
        for record in [try Self.notified(), try Self.deferred()] {
            for now in [Self.deadline, Self.deadline.addingTimeInterval(3600)] {
                let error = #expect(throws: UpgradeError.self) { try Self.lifecycle().apply(.userDeferred, to: record, at: now) }
                #expect(error?.code == .deferralDeadlinePassed)
                #expect(error?.message.contains("2026-11-09T16:00:00Z") == true)
            }
        }
    }

    @Test("a due reminder notifies the end user at its own instant, once; too early is refused")
    func reminders() throws {
        let first = Self.trigger.addingTimeInterval(56 * Self.hour)
        let second = Self.trigger.addingTimeInterval(112 * Self.hour)
        let step = try Self.lifecycle().apply(.reminderDue, to: Self.deferred(), at: first)
        #expect(step.record.state == .deferred)
        #expect(step.record.reminders == [second])
        #expect(step.notices == [EndpointNotice(
            kind: .endpointUpgradeReminder, due: first, occurrence: IdempotencyKey.occurrence(first), deadline: Self.deadline, reason: nil)])
        let early = #expect(throws: UpgradeError.self) { try Self.lifecycle().apply(.reminderDue, to: step.record, at: first.addingTimeInterval(60)) }
        #expect(early?.code == .tooEarly)
        // A catch-up past both reminders sends both, each with its instant.
        let both = try Self.lifecycle().apply(.reminderDue, to: Self.deferred(), at: second.addingTimeInterval(600))
        #expect(both.notices.map(\.due) == [first, second])
        #expect(both.record.reminders.isEmpty)
    }

    @Test("notified or deferred → installing when the user chooses upgrade now")
    func upgradeNow() throws {
        for record in [try Self.notified(), try Self.deferred()] {
            let now = Self.trigger.addingTimeInterval(2 * Self.hour)
            let step = try Self.lifecycle().apply(.userUpgradeNow, to: record, at: now)
            #expect(step.record.state == .installing)
            #expect(step.record.reminders.isEmpty)
            #expect(step.record.deadlines.isEmpty)
            #expect(step.notices == [EndpointNotice(
                kind: .endpointInstalling, due: now, occurrence: IdempotencyKey.occurrence(Self.trigger), deadline: nil, reason: nil)])
        }
    }

    @Test("notified or deferred → installing when D is reached, not before")
    func deadlineReached() throws {
        for record in [try Self.notified(), try Self.deferred()] {
            let early = #expect(throws: UpgradeError.self) {
                try Self.lifecycle().apply(.deadlineReached, to: record, at: Self.deadline.addingTimeInterval(-1))
            }
            #expect(early?.code == .tooEarly)
            let step = try Self.lifecycle().apply(.deadlineReached, to: record, at: Self.deadline)
            #expect(step.record.state == .installing)
            #expect(step.notices.map(\.kind) == [.endpointInstalling])
        }
    }

    @Test("installing → restart_required → upgraded: the end user is told, the agent becomes cloud only then")
    func success() throws {
        let installed = try Self.lifecycle().apply(.installCompleted, to: Self.installing(), at: Self.trigger.addingTimeInterval(3 * Self.hour))
        #expect(installed.record.state == .restartRequired)
        #expect(installed.notices.map(\.kind) == [.endpointRestartRequired])
        #expect(installed.record.state.agentGeneration == .legacy)
        let restarted = try Self.lifecycle().apply(.restartReported, to: installed.record, at: Self.trigger.addingTimeInterval(4 * Self.hour))
        #expect(restarted.record.state == .upgraded)
        #expect(restarted.notices.map(\.kind) == [.endpointUpgraded])
        #expect(restarted.notices.first?.due == Self.trigger.addingTimeInterval(4 * Self.hour))
        #expect(restarted.record.state.agentGeneration == .cloud)
        #expect(restarted.record.deadlines.isEmpty)
    }

    @Test("installing or restart_required → failed: the partner is told why; the legacy agent stays")
    func failure() throws {
        let restartRequired = try Self.lifecycle().apply(.installCompleted, to: Self.installing(), at: Self.trigger.addingTimeInterval(3 * Self.hour)).record
        for record in [try Self.installing(), restartRequired] {
            let now = Self.trigger.addingTimeInterval(5 * Self.hour)
            let step = try Self.lifecycle().apply(.failureReported(reason: "disk full"), to: record, at: now)
            #expect(step.record.state == .failed)
            #expect(step.record.failureReason == "disk full")
            #expect(step.record.state.agentGeneration == .legacy)
            #expect(step.notices == [EndpointNotice(
                kind: .endpointUpgradeFailed, due: now, occurrence: IdempotencyKey.occurrence(Self.trigger), deadline: nil, reason: "disk full")])
            #expect(NotificationKind.endpointUpgradeFailed.audiences == [.partnerAdmins])
        }
    }

    @Test("failed → notified when triggered again: a new attempt with its own D and notification occurrence")
    func retry() throws {
        let failed = try Self.lifecycle().apply(.failureReported(reason: "disk full"), to: Self.installing(), at: Self.trigger.addingTimeInterval(5 * Self.hour)).record
        let retry = Self.at("2026-11-10T16:00:00Z")
        let step = try Self.lifecycle().apply(.triggered, to: failed, at: retry)
        #expect(step.record.state == .notified)
        #expect(step.record.failureReason == nil)
        #expect(step.record.deferralDeadline == Self.at("2026-11-17T16:00:00Z"))
        #expect(step.notices.map(\.occurrence) == [IdempotencyKey.occurrence(retry)])
    }

    @Test("with a deferral limit of 0 the trigger installs at once")
    func noDeferral() throws {
        let step = try Self.lifecycle(0).apply(.triggered, to: EndpointUpgradeRecord(), at: Self.trigger)
        #expect(step.record.state == .installing)
        #expect(step.record.deferralDeadline == Self.trigger)
        #expect(step.notices.map(\.kind) == [.endpointInstalling])
    }

    @Test("the deferral limit is 0 to 30 days")
    func limitBounds() throws {
        #expect(try Self.lifecycle(30).deferralLimitDays == 30)
        for days in [-1, 31] {
            let error = #expect(throws: UpgradeError.self) { try Self.lifecycle(days) }
            #expect(error?.code == .daysOutOfRange)
            #expect(error?.message.contains("between 0 and 30 days") == true)
        }
    }

    @Test("a pending endpoint waits for its automatic-upgrade time, when it has one")
    func pendingDeadlines() {
        #expect(EndpointUpgradeRecord().deadlines.isEmpty)
        #expect(EndpointUpgradeRecord(automaticUpgradeAt: Self.trigger).deadlines == [EndpointDeadline(at: Self.trigger, event: .triggered)])
    }

    @Test("every event outside its states is refused as an invalid transition, naming the states that accept it")
    func refusals() throws {
        let restartRequired = try Self.lifecycle().apply(.installCompleted, to: Self.installing(), at: Self.trigger.addingTimeInterval(3 * Self.hour)).record
        let upgraded = try Self.lifecycle().apply(.restartReported, to: restartRequired, at: Self.trigger.addingTimeInterval(4 * Self.hour)).record
        let failed = try Self.lifecycle().apply(.failureReported(reason: "x"), to: Self.installing(), at: Self.trigger.addingTimeInterval(4 * Self.hour)).record
        let records: [EndpointUpgradeState: EndpointUpgradeRecord] = [
            .pending: EndpointUpgradeRecord(), .notified: try Self.notified(), .deferred: try Self.deferred(),
            .installing: try Self.installing(), .restartRequired: restartRequired, .upgraded: upgraded, .failed: failed,
        ]
        let accepted: [EndpointUpgradeEvent: Set<EndpointUpgradeState>] = [
            .triggered: [.pending, .failed],
            .userDeferred: [.notified, .deferred],
            .userUpgradeNow: [.notified, .deferred],
            .reminderDue: [.deferred],
            .deadlineReached: [.notified, .deferred],
            .installCompleted: [.installing],
            .restartReported: [.restartRequired],
            .failureReported(reason: "x"): [.installing, .restartRequired],
        ]
        #expect(Set(records.keys) == Set(EndpointUpgradeState.allCases))
        let now = Self.deadline.addingTimeInterval(-Self.hour)
        for (event, states) in accepted {
            for (state, record) in records where !states.contains(state) {
                let error = #expect(throws: UpgradeError.self, "\(event.name) in \(state.rawValue)") {
                    try Self.lifecycle().apply(event, to: record, at: now)
                }
                #expect(error?.code == .invalidTransition)
                #expect(error?.message.contains("state '\(state.rawValue)' does not accept '\(event.name)'") == true)
            }
        }
        let restartWhilePending = #expect(throws: UpgradeError.self) {
            try Self.lifecycle().apply(.restartReported, to: EndpointUpgradeRecord(), at: now)
        }
        #expect(restartWhilePending?.message.hasSuffix("it is accepted only in 'restart_required'") == true)
    }

    @Test("a stored record missing its trigger time or D is refused, not guessed")
    func brokenRecord() throws {
        let error = #expect(throws: UpgradeError.self) {
            try Self.lifecycle().apply(.deadlineReached, to: EndpointUpgradeRecord(state: .notified), at: Self.trigger)
        }
        #expect(error?.code == .invalidTransition)
        #expect(error?.message.contains("reset it to 'pending'") == true)
    }
}
