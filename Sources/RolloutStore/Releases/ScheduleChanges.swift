package import Foundation
package import GRDB
package import RolloutCore

/// Stored schedule and toggle change requests (CAD-8): written by `rolloutctl` or a console,
/// applied by a wake at their apply-by instant.
package enum ScheduleChanges {
    /// The pending requests, oldest first, as the core's values.
    package static func pending(_ db: Database) throws -> [ScheduleChangeRequest] {
        try Row.fetchAll(db, sql: """
            SELECT id, partner_id, organisation_id, actor, kind, cadence, defer_weeks, allow_customer_override,
                   requested_at, apply_by
            FROM schedule_change WHERE \(SQLCondition.pendingChange) ORDER BY requested_at, id
            """).compactMap(request)
    }

    /// The request a row holds, or nil when the row breaks the rules (a kind, actor or cadence
    /// another process wrote that no request can have): such a row is skipped and reported by
    /// the wake (DMN-7), never applied and never a deadline.
    package static func request(_ row: Row) -> ScheduleChangeRequest? {
        let edit: ScheduleEdit
        switch row["kind"] as String? {
        case "schedule":
            guard let cadence = (row["cadence"] as String?).flatMap(Cadence.init(rawValue:)), let weeks = row["defer_weeks"] as Int?,
                  cadence.deferralWeeks.contains(weeks) else {
                return nil
            }
            edit = .setSchedule(Schedule(stored: cadence, deferralWeeks: weeks))
        case "reset":
            edit = .resetSchedule
        case "override":
            guard let allow = row["allow_customer_override"] as Bool? else { return nil }
            edit = .setAllowCustomerOverride(allow)
        default:
            return nil
        }
        guard let actor = (row["actor"] as String?).flatMap(Actor.init(rawValue:)),
              let requestedAt = row["requested_at"] as Int64?, let applyBy = row["apply_by"] as Int64? else { return nil }
        let subject: SettingsSubject = (row["organisation_id"] as String?).map { .organisation($0) } ?? .partner(row["partner_id"])
        return ScheduleChangeRequest(
            id: String(row["id"] as Int64), subject: subject, edit: edit, requestedBy: actor,
            requestedAt: Instant.date(requestedAt), applyBy: Instant.date(applyBy))
    }

    /// Pending rows that hold no valid request, by id: skipped and reported (DMN-7).
    package static func invalidPending(_ db: Database) throws -> [Int64] {
        try Row.fetchAll(db, sql: """
            SELECT id, partner_id, organisation_id, actor, kind, cadence, defer_weeks, allow_customer_override,
                   requested_at, apply_by
            FROM schedule_change WHERE \(SQLCondition.pendingChange)
            """).filter { request($0) == nil }.map { $0["id"] }
    }

    /// Stores a request that the permission rules already accepted (CAD-4).
    package static func insert(_ db: Database, partner: String, organisation: String?, actor: Actor, edit: ScheduleEdit,
                       requestedAt: Date, applyBy: Date) throws -> Int64 {
        var kind = "override", cadence: String?, weeks: Int?, allow: Bool?
        switch edit {
        case .setSchedule(let schedule):
            kind = "schedule"
            cadence = schedule.cadence.rawValue
            weeks = schedule.deferralWeeks
        case .resetSchedule:
            kind = "reset"
        case .setAllowCustomerOverride(let value):
            allow = value
        }
        try db.execute(sql: """
            INSERT INTO schedule_change (partner_id, organisation_id, actor, kind, cadence, defer_weeks, allow_customer_override,
                                         requested_at, apply_by)
            VALUES (?,?,?,?,?,?,?,?,?)
            """, arguments: [partner, organisation, actor.rawValue, kind, cadence, weeks, allow,
                             Instant.seconds(requestedAt), Instant.seconds(applyBy)])
        return db.lastInsertedRowID
    }

    /// Writes the winning change of a coalesced group into the settings it changes.
    package static func apply(_ db: Database, _ change: ScheduleChangeRequest) throws {
        let at = Instant.seconds(change.requestedAt)
        switch (change.subject, change.edit) {
        case (.organisation(let id), .setSchedule(let schedule)):
            try db.execute(sql: """
                UPDATE organisation SET cadence = ?, defer_weeks = ?, schedule_origin = ?, schedule_set_at = ? WHERE id = ?
                """, arguments: [schedule.cadence.rawValue, schedule.deferralWeeks, change.requestedBy.rawValue, at, id])
        case (.organisation(let id), .resetSchedule):
            // CAD-5: removing the org-level schedule re-attaches the organisation to its partner;
            // a legacy setting (CAD-10) is an org-level schedule too, so it goes with it.
            try db.execute(sql: """
                UPDATE organisation SET cadence = NULL, defer_weeks = NULL, schedule_origin = NULL, schedule_set_at = NULL,
                       legacy_defer_months = NULL WHERE id = ?
                """, arguments: [id])
        case (.organisation(let id), .setAllowCustomerOverride(let allowed)):
            try db.execute(sql: "UPDATE organisation SET allow_customer_override = ? WHERE id = ?", arguments: [allowed, id])
        case (.partner(let id), .setSchedule(let schedule)):
            try db.execute(sql: "UPDATE partner SET cadence = ?, defer_weeks = ?, schedule_set_at = ? WHERE id = ?",
                           arguments: [schedule.cadence.rawValue, schedule.deferralWeeks, at, id])
        case (.partner(let id), .resetSchedule):
            try db.execute(sql: "UPDATE partner SET cadence = NULL, defer_weeks = NULL, schedule_set_at = NULL WHERE id = ?",
                           arguments: [id])
        case (.partner(let id), .setAllowCustomerOverride(let allowed)):
            try db.execute(sql: "UPDATE partner SET allow_customer_override = ? WHERE id = ?", arguments: [allowed ?? true, id])
        }
    }

    /// The organisations whose effective schedule a change of this subject can move.
    package static func affectedOrganisations(_ db: Database, _ subject: SettingsSubject) throws -> Set<String> {
        switch subject {
        case .organisation(let id): [id]
        case .partner(let id):
            Set(try String.fetchAll(db, sql: "SELECT organisation_id FROM organisation_partner WHERE partner_id = ?", arguments: [id]))
        }
    }
}

extension ScheduleEdit {
    /// Short text for journal entries, notifications and history.
    package var summary: String {
        switch self {
        case .setSchedule(let schedule): "schedule \(schedule.cadence.rawValue), \(schedule.deferralWeeks) week(s)"
        case .resetSchedule: "schedule removed (inherits the partner's)"
        case .setAllowCustomerOverride(let allowed?): "customer override \(allowed ? "allowed" : "not allowed")"
        case .setAllowCustomerOverride(nil): "customer override inherited"
        }
    }
}
