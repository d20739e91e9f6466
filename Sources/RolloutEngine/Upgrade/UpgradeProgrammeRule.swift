public import Foundation
public import GRDB
public import RolloutCore
import RolloutStore

/// The customer upgrade programme at wakes (SPEC §4): banners, readiness, orders, endpoint
/// upgrades and declarations. Steps run in the order of cause and effect, so one wake at an
/// instant where several fall due (after downtime, say) acts as the daemon would have.
public struct UpgradeProgrammeRule: WakeRule {
    public let criteria: ReadinessCriteria

    public init(criteria: ReadinessCriteria = ReadinessCriteria()) {
        self.criteria = criteria
    }

    public func deadlines(_ db: Database, after cursor: Date, context: RuleContext) throws -> [Deadline] {
        var deadlines: [Deadline] = []
        // OPS-1: what a pause holds is not due; its resume wake (ControlsRule) comes first.
        let paused = try Pauses.anyInForce(db, area: .programme, at: cursor)
        func unless(_ held: String) -> String { paused ? "AND NOT \(held)" : "" }
        let cursorSeconds = Instant.seconds(cursor)
        func add(_ sql: String, _ kind: String, arguments: StatementArguments = []) throws {
            if let row = try Row.fetchOne(db, sql: sql, arguments: arguments), let at = row[0] as Int64? {
                deadlines.append(Deadline(at: Instant.date(at), reason: WakeReason(kind: kind, subject: row[1])))
            }
        }
        try add("""
            SELECT at, 'partner:' || partner_id FROM (
                SELECT announce_at AS at, partner_id FROM programme WHERE announced_at IS NULL
                UNION ALL SELECT window_start_at, partner_id FROM programme WHERE window_opened_at IS NULL
                UNION ALL SELECT auto_upgrade_at, partner_id FROM programme WHERE auto_upgrade_done_at IS NULL
            ) WHERE 1 \(unless(Pauses.partnerHeld(.programme, partner: "partner_id", at: "?1"))) ORDER BY at LIMIT 1
            """, "programme", arguments: paused ? [cursorSeconds] : [])
        try add("SELECT answered_at, 'organisation:' || organisation_id FROM upgrade_order WHERE answered_at IS NOT NULL AND applied_at IS NULL ORDER BY answered_at LIMIT 1",
                "order_answer")
        try add("SELECT answer_due_at, 'organisation:' || organisation_id FROM upgrade_order WHERE state = 'ordered' AND chased_at IS NULL ORDER BY answer_due_at LIMIT 1",
                "order_timeout")
        // Endpoints whose partner's deferral limit is out of range cannot be triggered (the trigger
        // step skips and reports them): they are no deadline either, or the loop would spin.
        try add("""
            SELECT e.upgrade_at, 'organisation:' || e.organisation_id FROM endpoint e WHERE e.upgrade_at IS NOT NULL AND e.upgrade_state = 'pending'
              AND NOT EXISTS (SELECT 1 FROM upgrade_order u WHERE u.organisation_id = e.organisation_id AND \(SQLCondition.openOrder("u")))
              AND NOT EXISTS (SELECT 1 FROM organisation o JOIN partner p ON p.id = o.upgrade_partner_id
                              WHERE o.id = e.organisation_id AND p.end_user_deferral_days NOT BETWEEN 0 AND ?2)
              \(unless(Pauses.organisationHeld(.programme, organisation: "e.organisation_id", at: "?1")))
            ORDER BY e.upgrade_at LIMIT 1
            """, "endpoint_upgrade", arguments: [cursorSeconds, context.policy.maxEndUserDeferralDays])
        // The same condition as the reminder step: a reminder on an endpoint in another state
        // can never be sent, and must not wake the loop (DMN-7; BadRows reports it).
        try add("""
            SELECT e.next_reminder_at, 'endpoint:' || e.id FROM endpoint e WHERE e.next_reminder_at IS NOT NULL AND e.upgrade_state = 'deferred'
              \(unless(Pauses.organisationHeld(.programme, organisation: "e.organisation_id", at: "?1"))) ORDER BY e.next_reminder_at LIMIT 1
            """, "endpoint_reminder", arguments: paused ? [cursorSeconds] : [])
        try add("""
            SELECT e.deferral_deadline, 'endpoint:' || e.id FROM endpoint e
            WHERE e.upgrade_state IN ('notified','deferred') AND e.deferral_deadline IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM upgrade_order u WHERE u.organisation_id = e.organisation_id AND \(SQLCondition.openOrder("u")))
              \(unless(Pauses.organisationHeld(.programme, organisation: "e.organisation_id", at: "?1")))
            ORDER BY e.deferral_deadline LIMIT 1
            """, "deferral_deadline", arguments: paused ? [cursorSeconds] : [])
        if let billing = try Declarations.nextBillingInstant(db, after: cursor, calendar: context.calendar) {
            deadlines.append(Deadline(at: billing, reason: WakeReason(kind: "billing_day")))
        }
        return deadlines
    }

    public func process(_ wake: inout WakeContext) throws {
        try ProgrammeEvents.announce(&wake)
        try ProgrammeEvents.openWindows(&wake)
        try Orders.applyAnswers(&wake)
        try Orders.chase(&wake)
        let readiness = try evaluateReadiness(&wake)
        try Orders.automatic(&wake, readiness: readiness)
        try wake.db.execute(sql: "UPDATE programme SET auto_upgrade_done_at = ? WHERE auto_upgrade_done_at IS NULL AND auto_upgrade_at <= ?",
                            arguments: [Instant.seconds(wake.wake.at), Instant.seconds(wake.wake.at)])
        try EndpointTransitions.trigger(&wake)
        try EndpointTransitions.remind(&wake)
        try EndpointTransitions.deadlines(&wake)
        try Declarations.monthly(&wake)
    }

    /// UPG-3: the checklist of every legacy organisation of a partner whose window is open, at
    /// every boundary and whenever a programme instant falls due (window start, automatic upgrade).
    private func evaluateReadiness(_ wake: inout WakeContext) throws -> [String: Readiness] {
        guard wake.wake.isBoundary || wake.wake.reasons.contains(where: { $0.kind == "programme" || $0.kind == "resume" }) else { return [:] }
        var unreadable: [String: String] = [:]
        let readiness = try ReadinessEvaluation.evaluate(
            wake.db, organisations: """
                SELECT DISTINCT o.id FROM programme p CROSS JOIN organisation_partner op ON op.partner_id = p.partner_id
                JOIN organisation o ON o.id = op.organisation_id WHERE o.generation = 'legacy' AND p.window_start_at <= ?
                """, arguments: [Instant.seconds(wake.wake.at)], at: wake.wake.at, criteria: criteria, calendar: wake.rules.calendar,
            unreadable: &unreadable)
        for (organisation, reason) in unreadable.sorted(by: { $0.key < $1.key }) {
            wake.skip("organisation:\(organisation)", rule: "UPG-3", reason: reason)
        }
        for (organisation, ready) in try ReadinessEvaluation.store(wake.db, readiness, at: wake.wake.at) {
            let failing = readiness[organisation]!.failingItems.map(\.name.rawValue)
            try wake.record(.readiness, subjectKind: "organisation", subjectID: organisation, organisation: organisation,
                            before: nil, after: ready ? "ready" : "not ready: " + failing.joined(separator: ", "),
                            afterValue: DecisionValue(ready: ready, failingItems: failing))
        }
        wake.count("readiness_evaluated", readiness.count)
        return readiness
    }
}
