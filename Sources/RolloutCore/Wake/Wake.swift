public import Foundation

/// Why the daemon wakes at an instant (DMN-1): a business-day boundary, or a deadline some rule owns.
public struct WakeReason: Hashable, Codable, Sendable, CustomStringConvertible {
    /// `boundary`, or the deadline's kind (`change_apply_by`, `release_effective`, `endpoint_upgrade`, …).
    public let kind: String
    /// The subject the deadline belongs to, when there is one (`organisation:o-17`).
    public let subject: String?

    public init(kind: String, subject: String? = nil) {
        self.kind = kind
        self.subject = subject
    }

    public static let boundary = WakeReason(kind: "boundary")

    public var description: String { subject.map { "\(kind) \($0)" } ?? kind }
}

/// A deadline some rule owns: the instant it falls due and why.
public struct Deadline: Hashable, Sendable {
    public let at: Date
    public let reason: WakeReason

    public init(at: Date, reason: WakeReason) {
        self.at = at
        self.reason = reason
    }
}

/// One wake: a logical instant and every reason that falls due at it. Wakes are processed
/// one at a time, in order, each at its own instant, whatever the wall clock says (DMN-2).
public struct Wake: Hashable, Sendable {
    public let at: Date
    public let reasons: [WakeReason]

    public init(at: Date, reasons: [WakeReason]) {
        self.at = at
        self.reasons = reasons
    }

    /// The next wake strictly after `cursor` (DMN-1): the earliest of the next boundary and the
    /// deadlines. A deadline at or before the cursor is overdue (written after its instant by
    /// another process, or with `--at` in the past); it is due at once, one second after the
    /// cursor, so wakes stay strictly increasing and none is processed twice (DMN-4).
    public static func next(after cursor: Date, nextBoundary: Date, deadlines: [Deadline]) -> Wake {
        let earliestInstant = cursor.addingTimeInterval(1)
        var reasonsByInstant: [Date: [WakeReason]] = [nextBoundary: [.boundary]]
        for deadline in deadlines {
            let at = max(deadline.at, earliestInstant)
            reasonsByInstant[at, default: []].append(deadline.reason)
        }
        let at = reasonsByInstant.keys.min()!
        return Wake(at: at, reasons: Array(Set(reasonsByInstant[at]!)).sorted { $0.description < $1.description })
    }

    public var isBoundary: Bool { reasons.contains(.boundary) }
}

/// What a wake did, as recorded in the wake log, printed by `run --until` and summarised in the
/// journal (DMN-5). Counts are by decision kind, never one line per endpoint.
public struct WakeSummary: Codable, Hashable, Sendable {
    public var at: Date
    public var reasons: [WakeReason]
    /// True when the wake was processed after its instant had passed (catch-up, DMN-2, NOT-3).
    public var late: Bool
    /// Decisions made, by kind (`change_applied`, `endpoint_retargeted`, …).
    public var decisions: [String: Int]
    /// Notifications written to the outbox, and how many of them were late (NOT-3).
    public var notifications: Int
    public var lateNotifications: Int
    /// Subjects skipped because their data broke a rule (DMN-7).
    public var skipped: [SkippedSubject]
    /// Events worth a journal entry of their own (a change applied): a few per wake at most.
    public var notes: [JournalNote]
    public var durationMicroseconds: Int64

    enum CodingKeys: String, CodingKey {
        case at, reasons, late, decisions, notifications, skipped, notes
        case lateNotifications = "late_notifications"
        case durationMicroseconds = "duration_us"
    }

    public init(at: Date, reasons: [WakeReason], late: Bool) {
        self.at = at
        self.reasons = reasons
        self.late = late
        decisions = [:]
        notifications = 0
        lateNotifications = 0
        skipped = []
        notes = []
        durationMicroseconds = 0
    }
}

/// An event of a wake that gets its own journal entry, with fields operators filter on (DMN-5).
public struct JournalNote: Codable, Hashable, Sendable {
    public enum Kind: String, Codable, Sendable {
        /// A schedule or override change was applied (CAD-8).
        case changeApplied = "change_applied"
        /// Release management or the programme was paused for a partner or organisation (OPS-1).
        case paused
        /// A pause ended (OPS-1).
        case resumed
        /// A partner's programme paused itself: too many upgrades failed (OPS-3).
        case failureThreshold = "failure_threshold"
    }

    public let kind: Kind
    public let rule: String
    public let partner: String?
    public let organisation: String?
    public let text: String

    public init(kind: Kind, rule: String, partner: String?, organisation: String?, text: String) {
        self.kind = kind
        self.rule = rule
        self.partner = partner
        self.organisation = organisation
        self.text = text
    }
}

/// A subject whose stored data broke a rule: it was left as it was and reported (DMN-7).
public struct SkippedSubject: Codable, Hashable, Sendable {
    public let subject: String
    public let rule: String
    public let reason: String

    public init(subject: String, rule: String, reason: String) {
        self.subject = subject
        self.rule = rule
        self.reason = reason
    }
}
