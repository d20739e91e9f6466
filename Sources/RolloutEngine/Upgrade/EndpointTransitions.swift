import Foundation
import GRDB
import RolloutCore
import RolloutStore

/// The endpoint lifecycle (UPG-6) at wakes, set-based: triggers, reminders and deferral
/// deadlines move whole groups of endpoints in a few statements. What the core computes (the
/// deadline D in calendar days, the next state, the notices) is the same for endpoints that
/// share a trigger time and a deferral limit, so the core runs once per group and SQL applies
/// the result to the group through `temp.transition`. Joins start from the temp table (CROSS
/// JOIN fixes the order): it holds what moves, usually nothing, and the planner has no
/// statistics to know that.
enum EndpointTransitions {
    /// Endpoints whose automatic-upgrade time has come are told an upgrade is available and may
    /// be deferred until D (or install at once with a zero deferral limit). Paused while their
    /// organisation has an open order (UPG-4) or its programme is paused (OPS-1).
    static func trigger(_ wake: inout WakeContext) throws {
        let db = wake.db
        let defaultDays = wake.rules.policy.endUserDeferralDays
        let unlessPaused = try Pauses.unlessHeld(db, .programme, organisation: "e.organisation_id", at: wake.wake.at)
        let groups = try Row.fetchAll(db, sql: """
            SELECT DISTINCT e.upgrade_at, coalesce(p.end_user_deferral_days, ?) AS days
            FROM endpoint e JOIN organisation o ON o.id = e.organisation_id LEFT JOIN partner p ON p.id = o.upgrade_partner_id
            WHERE e.upgrade_state = 'pending' AND e.upgrade_at <= ?
              AND NOT EXISTS (SELECT 1 FROM upgrade_order u WHERE u.organisation_id = e.organisation_id AND \(SQLCondition.openOrder("u")))
              \(unlessPaused)
            ORDER BY e.upgrade_at
            """, arguments: [defaultDays, Instant.seconds(wake.wake.at)])
        for group in groups {
            let triggerAt = Instant.date(group["upgrade_at"])
            let days: Int = group["days"]
            let step: EndpointUpgradeStep
            do throws(UpgradeError) {
                let lifecycle = try EndpointLifecycle(deferralLimitDays: days, calendar: wake.rules.calendar, defaults: wake.rules.policy)
                step = try lifecycle.apply(.triggered, to: EndpointUpgradeRecord(state: .pending, automaticUpgradeAt: triggerAt), at: triggerAt)
            } catch {
                wake.skip("endpoints due at \(Instant.format(triggerAt))", rule: "UPG-6", reason: error.message)
                continue
            }
            try stage(db, """
                SELECT e.id, e.organisation_id, o.upgrade_partner_id, e.user_id, e.upgrade_state, e.upgrade_at
                FROM endpoint e JOIN organisation o ON o.id = e.organisation_id LEFT JOIN partner p ON p.id = o.upgrade_partner_id
                WHERE e.upgrade_state = 'pending' AND e.upgrade_at = ? AND coalesce(p.end_user_deferral_days, ?) = ?
                  AND NOT EXISTS (SELECT 1 FROM upgrade_order u WHERE u.organisation_id = e.organisation_id AND \(SQLCondition.openOrder("u")))
                  \(unlessPaused)
                """, arguments: [Instant.seconds(triggerAt), defaultDays, days])
            try move(&wake, to: step.record.state, set: "upgrade_at = NULL, triggered_at = ?, deferral_deadline = ?, next_reminder_at = NULL",
                     arguments: [Instant.seconds(triggerAt), step.record.deferralDeadline.map(Instant.seconds)])
            for notice in step.notices {
                try notifyEndUsers(&wake, kind: notice.kind, occurrence: "e.triggered_at")
            }
        }
    }

    /// Reminders at one and two thirds of the way from trigger to D for deferred endpoints
    /// (UPG-6); after downtime both may be due at one wake, each with its own due instant.
    static func remind(_ wake: inout WakeContext) throws {
        let db = wake.db
        let unlessPaused = try Pauses.unlessHeld(db, .programme, organisation: "e.organisation_id", at: wake.wake.at)
        for _ in 0..<2 {
            try stage(db, """
                SELECT e.id, e.organisation_id, o.upgrade_partner_id, e.user_id, e.upgrade_state, e.next_reminder_at
                FROM endpoint e JOIN organisation o ON o.id = e.organisation_id
                WHERE e.next_reminder_at IS NOT NULL AND e.next_reminder_at <= ? AND e.upgrade_state = 'deferred' \(unlessPaused)
                """, arguments: [Instant.seconds(wake.wake.at)])
            let staged = try Int.fetchOne(db, sql: "SELECT count(*) FROM temp.transition") ?? 0
            guard staged > 0 else { return }
            try notifyEndUsers(&wake, kind: .endpointUpgradeReminder, occurrence: "t.due_at")
            wake.count("reminder_sent", staged)
            // The second reminder is two thirds of the way, in elapsed seconds, as the core's
            // EndpointLifecycle.reminders computes it.
            try db.execute(sql: """
                UPDATE endpoint SET next_reminder_at = CASE
                    WHEN next_reminder_at < triggered_at + ((deferral_deadline - triggered_at) * 2) / 3
                    THEN triggered_at + ((deferral_deadline - triggered_at) * 2) / 3 ELSE NULL END
                WHERE id IN (SELECT endpoint_id FROM temp.transition)
                """)
        }
    }

    /// D reached without the user choosing: the upgrade installs (UPG-6) — unless the
    /// organisation has an open order: then nothing of it moves by time (UPG-4), and the install
    /// happens at the wake that closes the order.
    static func deadlines(_ wake: inout WakeContext) throws {
        let unlessPaused = try Pauses.unlessHeld(wake.db, .programme, organisation: "e.organisation_id", at: wake.wake.at)
        try stage(wake.db, """
            SELECT e.id, e.organisation_id, o.upgrade_partner_id, e.user_id, e.upgrade_state, e.deferral_deadline
            FROM endpoint e JOIN organisation o ON o.id = e.organisation_id
            WHERE e.upgrade_state IN ('notified','deferred') AND e.deferral_deadline <= ?
              AND NOT EXISTS (SELECT 1 FROM upgrade_order u WHERE u.organisation_id = e.organisation_id AND \(SQLCondition.openOrder("u"))) \(unlessPaused)
            """, arguments: [Instant.seconds(wake.wake.at)])
        try move(&wake, to: .installing, set: "next_reminder_at = NULL", arguments: [])
        try notifyEndUsers(&wake, kind: .endpointInstalling, occurrence: "e.triggered_at")
    }

    // MARK: Staging

    /// Fills `temp.transition` with the endpoints a step moves. `select` yields (endpoint,
    /// organisation, partner, user, state before, due instant).
    static func stage(_ db: Database, _ select: String, arguments: StatementArguments) throws {
        try db.execute(sql: """
            CREATE TEMP TABLE IF NOT EXISTS transition (
                endpoint_id TEXT PRIMARY KEY NOT NULL, organisation_id TEXT NOT NULL, partner_id TEXT, user_id TEXT,
                before_state TEXT, due_at INTEGER NOT NULL) WITHOUT ROWID;
            DELETE FROM temp.transition;
            """)
        try db.execute(sql: "INSERT INTO temp.transition (endpoint_id, organisation_id, partner_id, user_id, before_state, due_at) \(select)",
                       arguments: arguments)
    }

    /// Moves the staged endpoints to `state` and records one decision each, set-based.
    static func move(_ wake: inout WakeContext, to state: EndpointUpgradeState, set: String, arguments: StatementArguments) throws {
        let db = wake.db
        let at = Instant.seconds(wake.wake.at)
        try db.execute(sql: """
            UPDATE endpoint SET upgrade_state = ?, upgrade_state_at = ?, \(set) WHERE id IN (SELECT endpoint_id FROM temp.transition)
            """, arguments: [state.rawValue, at] + arguments)
        let moved = try DecisionLog.recordAll(db, kind: .endpointUpgrade, subjectKind: "endpoint", at: wake.wake.at, source: """
            SELECT endpoint_id AS subject_id, partner_id, organisation_id, before_state AS before, ? AS after,
                   json_object('upgrade_state', before_state) AS before_value, json_object('upgrade_state', ?) AS after_value
            FROM temp.transition
            """, arguments: [state.rawValue, state.rawValue])
        wake.count("endpoint_\(state.rawValue)", moved)
    }

    /// End-user notifications for every staged endpoint, keyed by endpoint and `occurrence` (an
    /// SQL expression: the trigger instant, or a reminder's due instant), with D in the text.
    static func notifyEndUsers(_ wake: inout WakeContext, kind: NotificationKind, occurrence: String) throws {
        let db = wake.db
        try db.execute(sql: """
            CREATE TEMP TABLE IF NOT EXISTS deadline_text (at INTEGER PRIMARY KEY, en TEXT NOT NULL, fr TEXT NOT NULL);
            DELETE FROM temp.deadline_text;
            """)
        let deadlines = try Int64.fetchAll(db, sql: """
            SELECT DISTINCT e.deferral_deadline FROM temp.transition t CROSS JOIN endpoint e ON e.id = t.endpoint_id WHERE e.deferral_deadline IS NOT NULL
            """)
        for deadline in deadlines {
            let instant = Instant.date(deadline)
            try db.execute(sql: "INSERT INTO temp.deadline_text VALUES (?, ?, ?)", arguments: [
                deadline, NotificationDates.format(instant, .en, calendar: wake.rules.calendar),
                NotificationDates.format(instant, .fr, calendar: wake.rules.calendar),
            ])
        }
        wake.notified(try Outbox.emitAll(db, kind: kind, audience: .endUser, source: """
            SELECT 'endpoint:' || t.endpoint_id AS subject, \(occurrence) AS occurrence, t.partner_id, t.organisation_id, t.user_id,
                   t.endpoint_id, coalesce(p.locale, 'en') AS locale, t.due_at, t.endpoint_id AS endpoint, o.name AS organisation,
                   e.failure_reason AS reason, CASE coalesce(p.locale, 'en') WHEN 'fr' THEN d.fr ELSE d.en END AS deadline
            FROM temp.transition t CROSS JOIN endpoint e ON e.id = t.endpoint_id JOIN organisation o ON o.id = t.organisation_id
            LEFT JOIN partner p ON p.id = t.partner_id LEFT JOIN temp.deadline_text d ON d.at = e.deferral_deadline
            """, late: wake.summary.late))
    }
}
