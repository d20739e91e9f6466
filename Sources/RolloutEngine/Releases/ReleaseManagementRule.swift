public import Foundation
public import GRDB
public import RolloutCore
import RolloutStore

/// Release management at wakes (SPEC §3): applies due schedule and toggle changes, keeps each
/// organisation's effective schedule (CAD-3) current, and retargets endpoints when a release
/// becomes effective or anything a target depends on changed.
public struct ReleaseManagementRule: WakeRule {
    public init() {}

    public func deadlines(_ db: Database, after cursor: Date, context: RuleContext) throws -> [Deadline] {
        var deadlines: [Deadline] = []
        // CAD-8: the earliest apply-by of the valid pending requests (a handful, index
        // schedule_change_pending). A row no request can be is skipped, never a deadline: it
        // could never be applied, and would wake the loop again and again (DMN-7). A request
        // whose subject is paused (OPS-1) waits for its resume wake.
        let held = try Pauses.heldChanges(db, at: cursor)
        if let first = try ScheduleChanges.pending(db).filter({ !held.contains($0.id) })
            .min(by: { ($0.applyBy, $0.id) < ($1.applyBy, $1.id) }) {
            let subject = switch first.subject {
            case .organisation(let id): "organisation:\(id)"
            case .partner(let id): "partner:\(id)"
            }
            deadlines.append(Deadline(at: first.applyBy, reason: WakeReason(kind: "change_apply_by", subject: subject)))
        }
        // A target input changed outside a wake: recompute at the instant of the change (at
        // once when that is already past: Wake.next moves it to just after the cursor).
        // A wake that stopped at its retarget limit left a `continue` request: the next wake
        // goes on at once, and says so.
        if let since = try RetargetRequest.earliest(db) {
            let continued = try RetargetRequest.scopes(db).contains(Retargeting.Scope.continuation)
            deadlines.append(Deadline(at: since, reason: WakeReason(kind: continued ? "retarget_continued" : "retarget_requested")))
        }
        // CAD-2: the next instant a release becomes effective under a schedule in use. The
        // instant depends on the deferral only, so the deferrals organisations use are read
        // first (at most 13 index seeks on organisation_by_effective_schedule); a release
        // effective under nobody's schedule wakes nobody. Only releases whose automatic date is
        // within the longest deferral before the cursor can still become effective, so this
        // reads a handful of rows (index release_by_date).
        var deferrals: [Int] = []
        while let weeks = try Int.fetchOne(db, sql: "SELECT min(effective_defer_weeks) FROM organisation WHERE effective_defer_weeks > ?",
                                           arguments: [deferrals.last ?? -1]) {
            deferrals.append(weeks)
        }
        let horizon = Instant.seconds(context.calendar.adding(weeks: -(Cadence.slow.deferralWeeks.upperBound + 1), to: cursor))
        let recent = deferrals.isEmpty ? [] : try Row.fetchAll(
            db, sql: "SELECT auto_date, critical FROM release WHERE auto_date > ? ORDER BY auto_date LIMIT 64", arguments: [horizon])
        var next: Date?
        for row in recent {
            let automatic = Instant.date(row[0])
            // Calendar weeks are within an hour of 7 × 86,400 s, so skip the deferrals that end
            // more than a week before the cursor and stop at the first that lands after it: two
            // or three calendar computations per release.
            let first = Int(cursor.timeIntervalSince(automatic) / 604_800) - 1
            for week in (row[1] as Bool) ? [0] : deferrals where week >= first {
                let effective = context.calendar.adding(weeks: week, to: automatic)
                guard effective > cursor else { continue }
                if next.map({ effective < $0 }) ?? true { next = effective }
                break
            }
        }
        if let next { deadlines.append(Deadline(at: next, reason: WakeReason(kind: "release_effective"))) }
        return deadlines
    }

    public func process(_ wake: inout WakeContext) throws {
        let db = wake.db
        var affected = Set<String>()
        // CAD-8: a wake sees only the requests made at or before its instant; one recorded with
        // an instant ahead of the loop (`--at`) must not pull the group's apply-by earlier.
        // Requests whose subject is paused wait (OPS-1).
        let held = try Pauses.heldChanges(db, at: wake.wake.at)
        let made = try ScheduleChanges.pending(db).filter { $0.requestedAt <= wake.wake.at }
        let due = ChangeTiming.coalesce(made).filter { $0.applyBy <= wake.wake.at && !held.contains($0.winner.id) }
        for group in due {
            let change = group.winner
            try ScheduleChanges.apply(db, change)
            try db.execute(sql: "UPDATE schedule_change SET applied_at = ? WHERE id = ?",
                           arguments: [Instant.seconds(wake.wake.at), Int64(change.id)])
            for superseded in group.superseded {
                try db.execute(sql: "UPDATE schedule_change SET superseded_at = ? WHERE id = ?",
                               arguments: [Instant.seconds(wake.wake.at), Int64(superseded.id)])
            }
            try announce(change, superseded: group.superseded.count, in: &wake)
            affected.formUnion(try ScheduleChanges.affectedOrganisations(db, change.subject))
        }
        wake.count("change_applied", due.count)
        wake.count("change_superseded", due.map(\.superseded.count).reduce(0, +))

        let requests = try RetargetRequest.scopes(db)
        var scope = Retargeting.Scope(requests: requests)
        for moved in try ReleaseFacts.refreshEffectiveSchedules(db, ids: affected.isEmpty ? [] : affected) {
            try wake.record(.effectiveSchedule, subjectKind: "organisation", subjectID: moved.id, organisation: moved.id,
                            before: moved.before.description, after: moved.after.schedule.description,
                            beforeValue: .schedule(moved.before), afterValue: .schedule(moved.after.schedule))
            wake.count("schedule_moved")
            scope.organisations.insert(moved.id)
        }

        // OPS-1: a resume retargets everything: organisations held during the pause kept their
        // targets while the applied effective releases moved on.
        if wake.wake.reasons.contains(where: { $0.kind == "resume" }) { scope.everything = true }
        // Incremental (Retargeting): groups whose effective release changed, organisations whose
        // schedule moved, and what the requests name; nothing else is read or written.
        let retarget = !requests.isEmpty || !scope.isEmpty || !due.isEmpty || wake.wake.isBoundary
            || wake.wake.reasons.contains { $0.kind == "release_effective" }
        guard retarget else { return }
        let outcome = try Retargeting.run(db, at: wake.wake.at, context: wake.rules, scope: scope)
        // The requests are answered once every endpoint in scope is staged. Until then the
        // whole scope, the wake's own included (a resume, a moved schedule), is asked again with
        // the changed groups, and the next wake takes the rest.
        if outcome.complete {
            try RetargetRequest.clear(db)
        } else {
            for request in scope.continuationRequests { try RetargetRequest.add(db, scope: request, at: wake.wake.at) }
        }
        wake.count("endpoint_retargeted", outcome.retargeted)
        guard outcome.retargeted > 0 else { return }
        try DecisionLog.recordAll(db, kind: .targetVersion, subjectKind: "endpoint", at: wake.wake.at, source: """
            SELECT endpoint_id AS subject_id, NULL AS partner_id, organisation_id, old_version AS before, new_version AS after,
                   json_object('version', old_version) AS before_value, json_object('version', new_version) AS after_value
            FROM temp.retarget
            """)
        wake.notified(try Outbox.updateAvailable(db, wake: wake.wake, calendar: wake.rules.calendar, late: wake.summary.late))
    }

    /// One notification to the organisation's admins (or, for a partner-level change, to the
    /// partner's admins), a decision in the audit trail, and a journal entry (CAD-8, DMN-5).
    private func announce(_ change: ScheduleChangeRequest, superseded: Int, in wake: inout WakeContext) throws {
        let (kind, id) = switch change.subject {
        case .organisation(let id): ("organisation", id)
        case .partner(let id): ("partner", id)
        }
        let partner: String? = switch change.subject {
        case .partner(let id): id
        case .organisation(let id):
            try String.fetchOne(wake.db, sql: "SELECT min(partner_id) FROM organisation_partner WHERE organisation_id = ?", arguments: [id])
        }
        let organisation: String? = kind == "organisation" ? id : nil
        try wake.record(.changeApplied, subjectKind: kind, subjectID: id, partner: partner, organisation: organisation,
                        before: nil, after: change.edit.summary, afterValue: change.edit.value)
        wake.note(JournalNote(kind: .changeApplied, rule: "CAD-8", partner: partner, organisation: organisation,
                              text: "\(kind) \(id): \(change.edit.summary), requested by the \(change.requestedBy.rawValue) at "
                                  + "\(Instant.format(change.requestedAt))\(superseded > 0 ? " (\(superseded) earlier request(s) superseded)" : "")"))
        let schedule: Schedule? = if case .setSchedule(let schedule) = change.edit { schedule } else { nil }
        wake.notified(try Outbox.scheduleChangeApplied(wake.db, change: change, schedule: schedule, calendar: wake.rules.calendar,
                                                       wake: wake.wake, late: wake.summary.late))
    }
}

extension ScheduleEdit {
    /// The change as a decision value: `{change: schedule, cadence, deferral_weeks}`,
    /// `{change: reset}` or `{change: override, allow_customer_override}` (absent: inherited).
    var value: DecisionValue {
        switch self {
        case .setSchedule(let schedule):
            DecisionValue(cadence: schedule.cadence, deferralWeeks: schedule.deferralWeeks, change: "schedule")
        case .resetSchedule: DecisionValue(change: "reset")
        case .setAllowCustomerOverride(let allowed): DecisionValue(change: "override", allowCustomerOverride: allowed)
        }
    }
}
