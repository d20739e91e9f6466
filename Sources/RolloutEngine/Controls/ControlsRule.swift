public import Foundation
public import GRDB
public import RolloutCore
import RolloutStore

/// Operator controls at wakes (SPEC §7), run before the other rules so they see a pause the
/// moment it is in force: pauses and resumes are notified to the partner admins, journaled and
/// recorded (OPS-1); at a resume, end users' deferral deadlines and reminders move by the
/// pause's length and endpoint upgrades that fell due are triggered now, not at their old
/// instant; a partner's programme whose failures pass its threshold pauses itself (OPS-3).
public struct ControlsRule: WakeRule {
    public init() {}

    public func deadlines(_ db: Database, after cursor: Date, context: RuleContext) throws -> [Deadline] {
        var deadlines: [Deadline] = []
        func add(_ sql: String, _ kind: String, arguments: StatementArguments = []) throws {
            if let row = try Row.fetchOne(db, sql: sql, arguments: arguments), let at = row[0] as Int64? {
                deadlines.append(Deadline(at: Instant.date(at), reason: WakeReason(kind: kind, subject: row[1])))
            }
        }
        try add("""
            SELECT paused_at, coalesce('organisation:' || organisation_id, 'partner:' || partner_id) FROM pause
            WHERE start_noted_at IS NULL ORDER BY paused_at LIMIT 1
            """, "pause")
        try add("""
            SELECT resumed_at, coalesce('organisation:' || organisation_id, 'partner:' || partner_id) FROM pause
            WHERE resumed_at IS NOT NULL AND resume_noted_at IS NULL ORDER BY resumed_at LIMIT 1
            """, "resume")
        // OPS-3: a failure reported since the cursor is checked against its partner's threshold.
        try add("""
            SELECT wake_at, 'partner:' || partner_id FROM decision
            WHERE rule = 'UPG-6' AND substr(after, 1, 6) = 'failed' AND wake_at > ? ORDER BY wake_at LIMIT 1
            """, "upgrade_failed", arguments: [Instant.seconds(cursor)])
        return deadlines
    }

    public func process(_ wake: inout WakeContext) throws {
        try noteStarts(&wake)
        try noteResumes(&wake)
        try checkFailureThresholds(&wake)
    }

    /// OPS-1: a pause now in force is told to the partner admins, journaled and recorded.
    private func noteStarts(_ wake: inout WakeContext) throws {
        let at = Instant.seconds(wake.wake.at)
        for row in try Row.fetchAll(wake.db, sql: "SELECT * FROM pause WHERE start_noted_at IS NULL AND paused_at <= ? ORDER BY id",
                                    arguments: [at]) {
            let pause = PauseRecord(row)
            try wake.db.execute(sql: "UPDATE pause SET start_noted_at = ? WHERE id = ?", arguments: [at, pause.id])
            try announce(pause, resumed: false, in: &wake)
        }
    }

    /// OPS-1: a resumed pause moves the programme's clocks of its scope by the pause's length,
    /// so what fell due is decided at this wake and no end user loses time; then it is told,
    /// journaled and recorded.
    private func noteResumes(_ wake: inout WakeContext) throws {
        let db = wake.db
        let at = Instant.seconds(wake.wake.at)
        for row in try Row.fetchAll(db, sql: """
            SELECT * FROM pause WHERE resumed_at IS NOT NULL AND resume_noted_at IS NULL AND resumed_at <= ? ORDER BY resumed_at, id
            """, arguments: [at]) {
            let pause = PauseRecord(row)
            guard let resumedAt = pause.resumedAt else { continue }
            if pause.what == PauseArea.programme.rawValue {
                let span = PauseSpan(since: pause.since, until: resumedAt)
                let scope = pause.organisation != nil
                    ? "e.organisation_id = ?1"
                    : "e.organisation_id IN (SELECT organisation_id FROM organisation_partner WHERE partner_id = ?1)"
                let subject = pause.organisation ?? pause.partner
                try db.execute(sql: """
                    UPDATE endpoint AS e SET deferral_deadline = deferral_deadline + ?3,
                           next_reminder_at = CASE WHEN next_reminder_at >= ?2 THEN next_reminder_at + ?3 ELSE next_reminder_at END
                    WHERE \(scope) AND e.upgrade_state IN ('notified','deferred') AND e.deferral_deadline >= ?2
                    """, arguments: [subject, Instant.seconds(span.since), span.seconds])
                wake.count("deferral_deadline_moved", db.changesCount)
                try db.execute(sql: """
                    UPDATE endpoint AS e SET upgrade_at = ?2
                    WHERE \(scope) AND e.upgrade_state = 'pending' AND e.upgrade_at IS NOT NULL AND e.upgrade_at < ?2
                    """, arguments: [subject, Instant.seconds(resumedAt)])
            }
            try db.execute(sql: "UPDATE pause SET resume_noted_at = ? WHERE id = ?", arguments: [at, pause.id])
            try announce(pause, resumed: true, in: &wake)
        }
    }

    private func announce(_ pause: PauseRecord, resumed: Bool, in wake: inout WakeContext) throws {
        let db = wake.db
        let area = PauseArea(rawValue: pause.what) ?? .programme
        let language = try Outbox.language(db, partner: pause.partner)
        let scopeName = try pause.organisation.map {
            try String.fetchOne(db, sql: "SELECT name FROM organisation WHERE id = ?", arguments: [$0]) ?? $0
        } ?? (try String.fetchOne(db, sql: "SELECT name FROM partner WHERE id = ?", arguments: [pause.partner]) ?? pause.partner)
        let instant = resumed ? pause.resumedAt ?? pause.since : pause.since
        var values: [NotificationPlaceholder: String] = [
            .what: area.text(language), .scope: scopeName, .date: NotificationDates.format(instant, language, calendar: wake.rules.calendar),
        ]
        if !resumed { values[.reason] = pause.reason }
        // The automatic pause has its own notification, with counts and reasons (OPS-3).
        if resumed || pause.actor != failureThresholdActor {
            wake.notified(try Outbox.emit(db, Outbox.Notice(
                kind: resumed ? .rolloutResumed : .rolloutPaused, audience: .partnerAdmins, partner: pause.partner,
                organisation: pause.organisation, language: language, values: values, subject: pause.scope,
                occurrence: "pause:\(pause.id)", dueAt: instant,
                facts: NotificationFacts(date: instant, reason: resumed ? nil : pause.reason, what: area.rawValue, scope: pause.scope)),
                late: wake.summary.late))
        }
        let state = resumed ? "resumed by \(pause.resumedBy ?? "-")" : "paused by \(pause.actor): \(pause.reason)"
        try wake.record(resumed ? .resumed : .paused, subjectKind: pause.organisation == nil ? "partner" : "organisation",
                        subjectID: pause.organisation ?? pause.partner, partner: pause.partner, organisation: pause.organisation,
                        before: resumed ? "\(pause.what) paused" : nil, after: "\(pause.what) \(state)",
                        afterValue: DecisionValue(reason: resumed ? nil : pause.reason, area: pause.what,
                                                  actor: resumed ? pause.resumedBy : pause.actor))
        wake.count(resumed ? "pause_ended" : "pause_started")
        wake.note(JournalNote(kind: resumed ? .resumed : .paused, rule: "OPS-1", partner: pause.partner, organisation: pause.organisation,
                              text: "\(pause.what) of \(pause.scope) \(state)"
                                  + (resumed ? " (paused since \(Instant.format(pause.since)))" : "")))
    }

    /// OPS-3: for each partner with a failure reported since the previous wake and a programme
    /// not already paused, the endpoints that entered `installing` in the threshold's window
    /// (counted from the last resume, so a person's resume starts a fresh count) against those
    /// of them now `failed`.
    private func checkFailureThresholds(_ wake: inout WakeContext) throws {
        let db = wake.db
        let at = Instant.seconds(wake.wake.at)
        let partners = try Row.fetchAll(db, sql: """
            SELECT DISTINCT d.partner_id, p.failure_threshold_percent, p.failure_threshold_minimum, p.name, p.locale
            FROM decision d JOIN partner p ON p.id = d.partner_id
            WHERE d.rule = 'UPG-6' AND substr(d.after, 1, 6) = 'failed' AND d.wake_at > ? AND d.wake_at <= ?
            ORDER BY d.partner_id
            """, arguments: [Instant.seconds(wake.previous), at])
        for row in partners {
            let partner: String = row["partner_id"]
            guard try Bool.fetchOne(db, sql: "SELECT \(Pauses.partnerHeld(.programme, partner: "?1", at: "?2"))",
                                    arguments: [partner, at]) == false else { continue }
            let threshold = FailureThreshold(percent: row["failure_threshold_percent"] ?? FailureThreshold.standard.percent,
                                             minimum: row["failure_threshold_minimum"] ?? FailureThreshold.standard.minimum)
            let lastResume = try Int64.fetchOne(db, sql: """
                SELECT max(resumed_at) FROM pause WHERE partner_id = ? AND organisation_id IS NULL AND area = 'programme' AND resumed_at <= ?
                """, arguments: [partner, at]) ?? 0
            let from = max(Instant.seconds(wake.rules.calendar.adding(days: -threshold.windowDays, to: wake.wake.at)), lastResume)
            let entered = """
                SELECT DISTINCT d.subject_id FROM decision d WHERE d.partner_id = ?1 AND d.wake_at > ?2 AND d.wake_at <= ?3
                  AND d.rule = 'UPG-6' AND substr(d.after, 1, 10) = 'installing'
                """
            let arguments: StatementArguments = [partner, from, at]
            let counts = try Row.fetchOne(db, sql: """
                SELECT count(*) AS entered, count(CASE WHEN e.upgrade_state = 'failed' THEN 1 END) AS failed
                FROM (\(entered)) i JOIN endpoint e ON e.id = i.subject_id
                """, arguments: arguments)!
            let enteredCount: Int = counts["entered"], failedCount: Int = counts["failed"]
            guard threshold.isExceeded(entered: enteredCount, failed: failedCount) else { continue }
            let reasons = try Row.fetchAll(db, sql: """
                SELECT coalesce(e.failure_reason, '-') AS reason, count(*) AS n FROM (\(entered)) i JOIN endpoint e ON e.id = i.subject_id
                WHERE e.upgrade_state = 'failed' GROUP BY 1 ORDER BY n DESC, reason LIMIT 3
                """, arguments: arguments).map { (reason: $0["reason"] as String, count: $0["n"] as Int) }
            let language = Language(rawValue: row["locale"]) ?? .en
            let summary = FailureThreshold.Summary(entered: enteredCount, failed: failedCount, threshold: threshold, reasons: reasons)
            try db.execute(sql: """
                INSERT INTO pause (partner_id, organisation_id, area, reason, actor, paused_at, start_noted_at)
                VALUES (?, NULL, 'programme', ?, ?, ?, ?)
                """, arguments: [partner, summary.text(.en), failureThresholdActor, at, at])
            let id = db.lastInsertedRowID
            wake.notified(try Outbox.emit(db, Outbox.Notice(
                kind: .programmeAutoPaused, audience: .partnerAdmins, partner: partner, organisation: nil, language: language,
                values: [.partner: row["name"], .items: summary.text(language),
                         .date: NotificationDates.format(wake.wake.at, language, calendar: wake.rules.calendar)],
                subject: "partner:\(partner)", occurrence: "pause:\(id)", dueAt: wake.wake.at,
                facts: NotificationFacts(date: wake.wake.at, items: summary.reasons.map { "\($0.reason) (\($0.count))" })),
                late: wake.summary.late))
            try wake.record(.failureThreshold, subjectKind: "partner", subjectID: partner, partner: partner,
                            before: "programme running", after: "programme paused automatically: \(summary.text(.en))",
                            afterValue: DecisionValue(reason: summary.text(.en), area: PauseArea.programme.rawValue,
                                                      actor: failureThresholdActor))
            wake.count("failure_threshold_tripped")
            wake.note(JournalNote(kind: .failureThreshold, rule: "OPS-3", partner: partner, organisation: nil,
                                  text: "programme of partner:\(partner) paused automatically: \(summary.text(.en))"))
        }
    }
}
