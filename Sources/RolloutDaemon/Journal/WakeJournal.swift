import Foundation
import Synchronization
public import Logging
public import RolloutCore

/// Turns a wake summary into journal entries (DMN-5): one summary entry per wake, one entry per
/// skipped subject — counts, never one entry per endpoint.
enum WakeJournal {
    static func log(_ summary: WakeSummary, to logger: Logger) {
        let decisions = summary.decisions.sorted { $0.key < $1.key }
        let counts = decisions.isEmpty ? "no decisions" : decisions.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        var metadata: Logger.Metadata = [
            "MESSAGE_ID": "\(JournalMessage.wake.id)",
            "rollout.wake_at": "\(Instant.format(summary.at))",
            "rollout.reasons": "\(summary.reasons.map(\.description).joined(separator: ", "))",
            "rollout.late": "\(summary.late)",
            "rollout.notifications": "\(summary.notifications)",
            "rollout.late_notifications": "\(summary.lateNotifications)",
            "rollout.duration_us": "\(summary.durationMicroseconds)",
            "rollout.skipped": "\(summary.skipped.count)",
        ]
        for (kind, count) in decisions { metadata["rollout.decisions.\(kind)"] = "\(count)" }
        let late = summary.late ? " (late)" : ""
        logger.info("wake \(Instant.format(summary.at))\(late): \(counts); \(summary.notifications) notification(s)", metadata: metadata)
        for note in summary.notes {
            var fields: Logger.Metadata = [
                "MESSAGE_ID": "\(note.kind.messageID.id)",
                "rollout.rule": "\(note.rule)",
                "rollout.wake_at": "\(Instant.format(summary.at))",
            ]
            if let partner = note.partner { fields["rollout.partner"] = "\(partner)" }
            if let organisation = note.organisation { fields["rollout.org"] = "\(organisation)" }
            logger.notice("\(note.text)", metadata: fields)
        }
        for skipped in summary.skipped {
            logger.warning("skipped \(skipped.subject): \(skipped.reason)", metadata: [
                "MESSAGE_ID": "\(JournalMessage.subjectSkipped.id)",
                "rollout.subject": "\(skipped.subject)",
                "rollout.rule": "\(skipped.rule)",
                "rollout.wake_at": "\(Instant.format(summary.at))",
            ])
        }
    }
}

extension WakeJournal {
    /// A wake that decided nothing is a debug entry; idle stretches are summarized instead
    /// (agents reporting every few seconds would otherwise write thousands of info entries a day).
    /// `log_level = "debug"`: which rule decided what at this wake, one entry per organisation
    /// (and one for partner-level decisions), with counts — never one entry per endpoint.
    static func logOrganisations(_ decisions: [(organisation: String?, decisions: [String: Int])]?, of summary: WakeSummary,
                                 to logger: Logger) {
        for (organisation, counts) in decisions ?? [] {
            let text = counts.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            var metadata: Logger.Metadata = ["rollout.wake_at": "\(Instant.format(summary.at))"]
            if let organisation { metadata["rollout.org"] = "\(organisation)" }
            logger.debug("wake \(Instant.format(summary.at)): \(organisation.map { "organisation \($0)" } ?? "partner level"): \(text)",
                         metadata: metadata)
        }
    }

    static func logIdle(_ summary: WakeSummary, to logger: Logger) {
        logger.debug("wake \(Instant.format(summary.at)): no decisions", metadata: [
            "MESSAGE_ID": "\(JournalMessage.wake.id)",
            "rollout.wake_at": "\(Instant.format(summary.at))",
            "rollout.reasons": "\(summary.reasons.map(\.description).joined(separator: ", "))",
            "rollout.duration_us": "\(summary.durationMicroseconds)",
        ])
    }

    /// One info entry for a stretch of wakes that decided nothing.
    static func logIdle(wakes: Int, from first: Date, to last: Date, to logger: Logger) {
        logger.info("\(wakes) idle wake(s) from \(Instant.format(first)) to \(Instant.format(last)): no decisions, no notifications", metadata: [
            "MESSAGE_ID": "\(JournalMessage.idle.id)",
            "rollout.idle_wakes": "\(wakes)",
            "rollout.first_wake_at": "\(Instant.format(first))",
            "rollout.last_wake_at": "\(Instant.format(last))",
        ])
    }
}

extension WakeSummary {
    /// Nothing decided, notified, skipped or noted: nothing an operator needs to read.
    var isIdle: Bool { decisions.isEmpty && notifications == 0 && skipped.isEmpty && notes.isEmpty }
}

/// The daemon's wake entries (DMN-5): a wake that decided something gets its summary; idle
/// wakes are logged at debug and summarized in one info entry per stretch — before the next
/// wake that decides something, at stop, and at least every `idleEvery` of wall time, so a
/// quiet daemon still shows one entry an hour.
public final class WakeJournalWriter: Sendable {
    private struct Stretch {
        var wakes = 0
        var first: Date?
        var last: Date?
        var began: ContinuousClock.Instant?
    }

    private let idleEvery: Duration
    private let stretch = Mutex(Stretch())

    public init(idleEvery: Duration = .seconds(3_600)) {
        self.idleEvery = idleEvery
    }

    public func log(_ summary: WakeSummary, to logger: Logger) {
        guard summary.isIdle else {
            flush(to: logger)
            return WakeJournal.log(summary, to: logger)
        }
        WakeJournal.logIdle(summary, to: logger)
        let now = ContinuousClock.now
        let due = stretch.withLock { stretch in
            stretch.wakes += 1
            stretch.first = stretch.first ?? summary.at
            stretch.last = summary.at
            stretch.began = stretch.began ?? now
            return now - stretch.began! >= idleEvery
        }
        if due { flush(to: logger) }
    }

    /// Journals the idle wakes not yet summarized; false when there were none.
    @discardableResult
    public func flush(to logger: Logger) -> Bool {
        let taken = stretch.withLock { stretch in
            defer { stretch = Stretch() }
            return stretch
        }
        guard let first = taken.first, let last = taken.last else { return false }
        WakeJournal.logIdle(wakes: taken.wakes, from: first, to: last, to: logger)
        return true
    }
}

extension JournalNote.Kind {
    var messageID: JournalMessage {
        switch self {
        case .changeApplied: .changeApplied
        case .paused: .paused
        case .resumed: .resumed
        case .failureThreshold: .failureThreshold
        }
    }
}
