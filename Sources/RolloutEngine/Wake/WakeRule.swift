public import Foundation
public import GRDB
public import RolloutCore
public import RolloutStore

/// One area of the product's rules that acts at wakes: release management (CAD), the customer
/// upgrade programme (UPG). The extension point of the loop: the loop knows nothing of cadences
/// or orders, only that each rule owns deadlines and decides at wakes.
public protocol WakeRule: Sendable {
    /// The rule's pending deadlines that could fall due after `cursor` — at most a few, found
    /// through indexes (a wake with nothing due must stay far under a millisecond). Overdue ones
    /// (at or before the cursor) are returned too: they are due now.
    func deadlines(_ db: Database, after cursor: Date, context: RuleContext) throws -> [Deadline]

    /// Decides everything due at or before `wake.at` and writes it, inside the wake's single
    /// transaction. Fleet-wide work is set-based SQL; per-subject decisions come from the core.
    func process(_ wake: inout WakeContext) throws
}

/// What every rule needs besides the database: the calendar and the policy in force.
public struct RuleContext: Sendable {
    public let calendar: BusinessCalendar
    public let policy: Policy
    /// The most endpoints one wake retargets (`[daemon] retargets_per_wake`): a release that
    /// moves more is applied over several wakes a second apart, so that no single wake holds the
    /// write lock for as long as a whole fleet takes.
    public let retargetsPerWake: Int

    public static let defaultRetargetsPerWake = 250_000

    public init(calendar: BusinessCalendar, policy: Policy, retargetsPerWake: Int = defaultRetargetsPerWake) {
        self.calendar = calendar
        self.policy = policy
        self.retargetsPerWake = retargetsPerWake
    }
}

/// The state of one wake while its rules run: the database inside the wake's transaction, the
/// wake itself, and the summary the rules add their counts to.
public struct WakeContext {
    public let db: Database
    public let wake: Wake
    /// The instant through which wakes were processed before this one: instants in
    /// (previous, wake.at] fall due at this wake.
    public let previous: Date
    public let rules: RuleContext
    public internal(set) var summary: WakeSummary

    init(db: Database, wake: Wake, previous: Date, rules: RuleContext, late: Bool) {
        self.db = db
        self.wake = wake
        self.previous = previous
        self.rules = rules
        summary = WakeSummary(at: wake.at, reasons: wake.reasons, late: late)
    }

    /// Adds to the count of one kind of decision.
    public mutating func count(_ decision: String, _ n: Int = 1) {
        guard n > 0 else { return }
        summary.decisions[decision, default: 0] += n
    }

    /// Records a decision of this wake in the audit trail (`rolloutctl history`): its kind, its
    /// before and after as values, and the same in words.
    public mutating func record(_ kind: DecisionKind, subjectKind: String, subjectID: String, partner: String? = nil,
                                organisation: String? = nil, before: String?, after: String?,
                                beforeValue: DecisionValue? = nil, afterValue: DecisionValue?) throws {
        try DecisionLog.record(db, Decision(at: wake.at, kind: kind, subjectKind: subjectKind, subjectID: subjectID, partner: partner,
                                            organisation: organisation, before: before, after: after,
                                            beforeValue: beforeValue, afterValue: afterValue))
    }

    /// Counts notifications written by a rule, and the late ones among them (NOT-3).
    public mutating func notified(_ n: Int) {
        summary.notifications += n
        if summary.late { summary.lateNotifications += n }
    }

    /// Adds an event that gets its own journal entry.
    public mutating func note(_ note: JournalNote) {
        summary.notes.append(note)
    }

    /// Reports a subject whose data broke a rule; it is left as it was (DMN-7).
    public mutating func skip(_ subject: String, rule: String, reason: String) {
        summary.skipped.append(SkippedSubject(subject: subject, rule: rule, reason: reason))
    }
}
