public import Foundation

/// What happens to an endpoint in the upgrade programme (UPG-6): a device report, an end-user
/// choice, a partner action or one of the endpoint's own deadlines.
public enum EndpointUpgradeEvent: Hashable, Sendable {
    /// The endpoint's automatic-upgrade time came (UPG-5), or the partner triggered it (manual
    /// policy, or a retry after `failed`).
    case triggered
    /// The end user postponed the upgrade.
    case userDeferred
    /// The end user chose "upgrade now".
    case userUpgradeNow
    /// A reminder instant of a deferred endpoint came.
    case reminderDue
    /// The deferral deadline D came.
    case deadlineReached
    /// The device finished installing the new agent and must restart to complete.
    case installCompleted
    /// The device reported its restart: the new agent runs.
    case restartReported
    /// The device reported that installing or completing the upgrade failed.
    case failureReported(reason: String)

    /// The spelling used in documents, the CLI and error messages.
    public var name: String {
        switch self {
        case .triggered: "triggered"
        case .userDeferred: "user_deferred"
        case .userUpgradeNow: "user_upgrade_now"
        case .reminderDue: "reminder_due"
        case .deadlineReached: "deadline_reached"
        case .installCompleted: "install_completed"
        case .restartReported: "restart_reported"
        case .failureReported: "failure_reported"
        }
    }
}

/// What the store keeps about one endpoint's upgrade, and all the state machine needs besides the
/// partner's deferral limit and the current instant.
public struct EndpointUpgradeRecord: Hashable, Sendable {
    public var state: EndpointUpgradeState
    /// The automatic-upgrade time of UPG-5, when the policy is `automatic`.
    public var automaticUpgradeAt: Date?
    /// When the current attempt was triggered: the start of the deferral period.
    public var triggeredAt: Date?
    /// D: the latest instant the end user may defer to; the upgrade installs when it comes.
    public var deferralDeadline: Date?
    /// Reminders still to send, ascending; only a `deferred` endpoint has any.
    public var reminders: [Date]
    /// Why the last attempt failed, while `failed`.
    public var failureReason: String?

    public init(
        state: EndpointUpgradeState = .pending,
        automaticUpgradeAt: Date? = nil,
        triggeredAt: Date? = nil,
        deferralDeadline: Date? = nil,
        reminders: [Date] = [],
        failureReason: String? = nil
    ) {
        self.state = state
        self.automaticUpgradeAt = automaticUpgradeAt
        self.triggeredAt = triggeredAt
        self.deferralDeadline = deferralDeadline
        self.reminders = reminders
        self.failureReason = failureReason
    }

    /// The instants the daemon must wake for this endpoint (DMN-1) and the event to apply at each:
    /// the automatic-upgrade time while `pending`, D while `notified` or `deferred`, and the
    /// reminders while `deferred`. The daemon leaves out the automatic-upgrade time of an
    /// organisation with an open order (UPG-4: paused).
    public var deadlines: [EndpointDeadline] {
        switch state {
        case .pending:
            automaticUpgradeAt.map { [EndpointDeadline(at: $0, event: .triggered)] } ?? []
        case .notified, .deferred:
            reminders.map { EndpointDeadline(at: $0, event: .reminderDue) }
                + (deferralDeadline.map { [EndpointDeadline(at: $0, event: .deadlineReached)] } ?? [])
        case .installing, .restartRequired, .upgraded, .failed:
            []
        }
    }
}

/// An instant an endpoint's lifecycle is waiting for, and the event to apply then.
public struct EndpointDeadline: Hashable, Sendable {
    public let at: Date
    public let event: EndpointUpgradeEvent

    public init(at: Date, event: EndpointUpgradeEvent) {
        self.at = at
        self.event = event
    }
}

/// A notification a lifecycle step emits (UPG-6). Audience and text come from `kind`; the key is
/// `IdempotencyKey(kind:subject:occurrence:)` with the endpoint as subject.
public struct EndpointNotice: Hashable, Sendable {
    public let kind: NotificationKind
    /// The instant it is due: the step's instant, or the reminder instant for reminders.
    public let due: Date
    /// Which occurrence: the trigger instant of the attempt (Unix seconds), or the reminder instant
    /// for reminders, so a retry after `failed` notifies again and a replay does not.
    public let occurrence: String
    /// For `{deadline}`: D, in `endpoint_upgrade_available` and `endpoint_upgrade_reminder`.
    public let deadline: Date?
    /// For `{reason}`: the device's report, in `endpoint_upgrade_failed`.
    public let reason: String?

    public init(kind: NotificationKind, due: Date, occurrence: String, deadline: Date?, reason: String?) {
        self.kind = kind
        self.due = due
        self.occurrence = occurrence
        self.deadline = deadline
        self.reason = reason
    }
}

/// A lifecycle step: the record to store and the notifications to write with it (NOT-2).
public struct EndpointUpgradeStep: Hashable, Sendable {
    public let record: EndpointUpgradeRecord
    public let notices: [EndpointNotice]
}

extension EndpointUpgradeState {
    /// The agent generation recorded for an endpoint in this state: the legacy agent stays
    /// recorded until `upgraded`, so an endpoint is never without an agent (UPG-6).
    public var agentGeneration: Generation {
        self == .upgraded ? .cloud : .legacy
    }
}

/// The endpoint lifecycle of UPG-6 as a pure function of a record, an event and the instant:
///
///     pending ─triggered→ notified ─user_deferred→ deferred ─reminder_due→ deferred
///        notified | deferred ─user_upgrade_now | deadline_reached→ installing
///        installing ─install_completed→ restart_required ─restart_reported→ upgraded
///        installing | restart_required ─failure_reported→ failed ─triggered→ notified (retry)
///
/// - D = trigger instant + the deferral limit in calendar days (CAL-4).
/// - Reminders are at one third and two thirds of the *elapsed* time from the trigger to D,
///   rounded down to the second: 56 h and 112 h for 7 days without a DST change; across a change
///   the thirds of 167 or 169 hours. Only reminders after the deferral instant are kept, so all are
///   strictly between the deferral and D, never past D.
/// - With a deferral limit of 0 there is nothing to offer: `triggered` goes straight to
///   `installing`.
/// - Deferring again while deferred (a "later" click on a reminder) is accepted and changes nothing.
/// - Every other event in a state that does not list it is refused with `invalidTransition`;
///   deferring at or after D with `deferralDeadlinePassed`; D or a reminder before its instant with
///   `tooEarly`.
public struct EndpointLifecycle: Sendable {
    public let deferralLimitDays: Int
    public let calendar: BusinessCalendar

    /// Rejects a deferral limit outside 0...`maxEndUserDeferralDays` (30) with `daysOutOfRange`.
    public init(deferralLimitDays: Int = Policy().endUserDeferralDays, calendar: BusinessCalendar, defaults: Policy = Policy()) throws(UpgradeError) {
        guard (0...defaults.maxEndUserDeferralDays).contains(deferralLimitDays) else {
            throw UpgradeError(
                .daysOutOfRange, rule: "UPG-6",
                "an end-user deferral limit of \(deferralLimitDays) days is out of range: "
                    + "give between 0 and \(defaults.maxEndUserDeferralDays) days")
        }
        self.deferralLimitDays = deferralLimitDays
        self.calendar = calendar
    }

    /// The reminder instants of an attempt triggered at `trigger` with deadline `deadline`.
    public static func reminders(trigger: Date, deadline: Date) -> [Date] {
        let span = deadline.timeIntervalSince(trigger)
        return [1.0, 2.0].map { trigger.addingTimeInterval((span * $0 / 3).rounded(.down)) }
    }

    public func apply(_ event: EndpointUpgradeEvent, to record: EndpointUpgradeRecord, at now: Date) throws(UpgradeError) -> EndpointUpgradeStep {
        let accepting = Self.acceptingStates(event)
        guard accepting.contains(record.state) else {
            throw UpgradeError(
                .invalidTransition, rule: "UPG-6",
                "an endpoint in state '\(record.state.rawValue)' does not accept '\(event.name)'; "
                    + "it is accepted only in \(accepting.map { "'\($0.rawValue)'" }.joined(separator: " or "))")
        }
        switch event {
        case .triggered:
            return trigger(record, at: now)
        case .userDeferred:
            return try postpone(record, at: now)
        case .reminderDue:
            return try remind(record, at: now)
        case .userUpgradeNow:
            return install(record, at: now)
        case .deadlineReached:
            let (_, deadline) = try requireAttempt(record)
            guard now >= deadline else {
                throw UpgradeError(
                    .tooEarly, rule: "UPG-6",
                    "the deferral deadline is \(Instant.format(deadline)), after \(Instant.format(now)): apply it at or after that instant")
            }
            return install(record, at: now)
        case .installCompleted:
            return step(record, to: .restartRequired, notice: .endpointRestartRequired, at: now)
        case .restartReported:
            return step(record, to: .upgraded, notice: .endpointUpgraded, at: now)
        case .failureReported(let reason):
            var next = record
            next.failureReason = reason
            return step(next, to: .failed, notice: .endpointUpgradeFailed, at: now, reason: reason)
        }
    }

    private func trigger(_ record: EndpointUpgradeRecord, at now: Date) -> EndpointUpgradeStep {
        var next = record
        next.triggeredAt = now
        next.deferralDeadline = calendar.adding(days: deferralLimitDays, to: now)
        next.reminders = []
        next.failureReason = nil
        guard deferralLimitDays > 0 else { return install(next, at: now) }
        next.state = .notified
        return EndpointUpgradeStep(
            record: next,
            notices: [notice(.endpointUpgradeAvailable, due: now, occurrence: now, record: next)])
    }

    private func postpone(_ record: EndpointUpgradeRecord, at now: Date) throws(UpgradeError) -> EndpointUpgradeStep {
        let (trigger, deadline) = try requireAttempt(record)
        guard now < deadline else {
            throw UpgradeError(
                .deferralDeadlinePassed, rule: "UPG-6",
                "the upgrade could be deferred until \(Instant.format(deadline)) only; it installs now instead")
        }
        guard record.state == .notified else { return EndpointUpgradeStep(record: record, notices: []) }
        var next = record
        next.state = .deferred
        next.reminders = Self.reminders(trigger: trigger, deadline: deadline).filter { $0 > now }
        return EndpointUpgradeStep(record: next, notices: [])
    }

    private func remind(_ record: EndpointUpgradeRecord, at now: Date) throws(UpgradeError) -> EndpointUpgradeStep {
        let due = record.reminders.filter { $0 <= now }
        guard !due.isEmpty else {
            let next = record.reminders.first.map { " the next one is at \(Instant.format($0))" } ?? " none is left"
            throw UpgradeError(.tooEarly, rule: "UPG-6", "no reminder is due at \(Instant.format(now)):\(next)")
        }
        var next = record
        next.reminders = record.reminders.filter { $0 > now }
        return EndpointUpgradeStep(
            record: next,
            notices: due.map { notice(.endpointUpgradeReminder, due: $0, occurrence: $0, record: next) })
    }

    private func install(_ record: EndpointUpgradeRecord, at now: Date) -> EndpointUpgradeStep {
        var next = record
        next.reminders = []
        return step(next, to: .installing, notice: .endpointInstalling, at: now)
    }

    private func step(
        _ record: EndpointUpgradeRecord, to state: EndpointUpgradeState, notice kind: NotificationKind, at now: Date, reason: String? = nil
    ) -> EndpointUpgradeStep {
        var next = record
        next.state = state
        return EndpointUpgradeStep(
            record: next,
            notices: [notice(kind, due: now, occurrence: record.triggeredAt ?? now, record: next, reason: reason)])
    }

    private func notice(
        _ kind: NotificationKind, due: Date, occurrence: Date, record: EndpointUpgradeRecord, reason: String? = nil
    ) -> EndpointNotice {
        EndpointNotice(
            kind: kind, due: due, occurrence: IdempotencyKey.occurrence(occurrence),
            deadline: kind.placeholders.contains(.deadline) ? record.deferralDeadline : nil,
            reason: reason)
    }

    /// The trigger instant and D of the current attempt; a stored record without them is broken.
    private func requireAttempt(_ record: EndpointUpgradeRecord) throws(UpgradeError) -> (trigger: Date, deadline: Date) {
        guard let trigger = record.triggeredAt, let deadline = record.deferralDeadline else {
            throw UpgradeError(
                .invalidTransition, rule: "UPG-6",
                "the endpoint is '\(record.state.rawValue)' but its record has no trigger time or deferral deadline: repair the record or reset it to 'pending'")
        }
        return (trigger, deadline)
    }

    private static func acceptingStates(_ event: EndpointUpgradeEvent) -> [EndpointUpgradeState] {
        switch event {
        case .triggered: [.pending, .failed]
        case .userDeferred, .userUpgradeNow, .deadlineReached: [.notified, .deferred]
        case .reminderDue: [.deferred]
        case .installCompleted: [.installing]
        case .restartReported: [.restartRequired]
        case .failureReported: [.installing, .restartRequired]
        }
    }
}
