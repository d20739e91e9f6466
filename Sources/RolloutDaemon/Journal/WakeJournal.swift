import Logging
import RolloutCore

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
