import Foundation
import GRDB
import RolloutCore
import RolloutStore

/// The release-management notifications (CAD-8, CAD-2).
extension Outbox {
    /// CAD-8: the organisation's admins and each managing partner's admins, or a partner's admins
    /// for a partner-level change, are told the change was applied.
    static func scheduleChangeApplied(_ db: Database, change: ScheduleChangeRequest, schedule: Schedule?,
                                      calendar: BusinessCalendar, wake: Wake, late: Bool) throws -> Int {
        let occurrence = "change:\(change.id)"
        let changed = switch change.subject {
        case .organisation(let organisation): "organisation:\(organisation)"
        case .partner(let partner): "partner:\(partner)"
        }
        func notice(_ audience: NotificationAudience, partner: String?, organisation: String?, scope: String, subject: String) throws -> Notice {
            let language = try language(db, partner: partner)
            return Notice(kind: .scheduleChangeApplied, audience: audience, partner: partner, organisation: organisation,
                          language: language,
                          values: [.scope: scope, .schedule: schedule?.description ?? change.edit.summary,
                                   .date: NotificationDates.format(wake.at, language, calendar: calendar)],
                          subject: subject, occurrence: occurrence, dueAt: change.applyBy,
                          facts: NotificationFacts(date: wake.at, scope: changed, cadence: schedule?.cadence.rawValue,
                                                   deferWeeks: schedule?.deferralWeeks))
        }
        var count = 0
        switch change.subject {
        case .organisation(let organisation):
            let managers = try String.fetchAll(db, sql: "SELECT partner_id FROM organisation_partner WHERE organisation_id = ? ORDER BY partner_id",
                                               arguments: [organisation])
            count += try emit(db, notice(.customerAdmins, partner: managers.first, organisation: organisation, scope: organisation,
                                         subject: "organisation:\(organisation)"), late: late)
            for manager in managers {
                count += try emit(db, notice(.partnerAdmins, partner: manager, organisation: organisation, scope: organisation,
                                             subject: "organisation:\(organisation):partner:\(manager)"), late: late)
            }
        case .partner(let partner):
            count += try emit(db, notice(.partnerAdmins, partner: partner, organisation: nil, scope: partner,
                                         subject: "partner:\(partner)"), late: late)
        }
        return count
    }

    /// CAD-2: "update available" for the user of every endpoint retargeted above what it runs at
    /// this wake — one statement for the whole fleet, from `temp.retarget`.
    static func updateAvailable(_ db: Database, wake: Wake, calendar: BusinessCalendar, late: Bool) throws -> Int {
        let dates = Dictionary(uniqueKeysWithValues: Language.allCases.map { ($0, NotificationDates.format(wake.at, $0, calendar: calendar)) })
        let updated = "r.user_id IS NOT NULL AND r.upgrade"
        try stageOrganisations(db, ids: "SELECT DISTINCT r.organisation_id FROM temp.retarget r WHERE \(updated)")
        return try emitAll(db, kind: .updateAvailable, audience: .endUser, source: """
            SELECT 'endpoint:' || r.endpoint_id AS subject, 'version:' || r.new_version AS occurrence, o.partner_id,
                   r.organisation_id, r.user_id, r.endpoint_id, o.locale, ? AS due_at, o.name AS organisation, r.new_version AS version,
                   CASE o.locale WHEN 'fr' THEN ? ELSE ? END AS date
            FROM temp.retarget r CROSS JOIN temp.notice_organisation o ON o.id = r.organisation_id
            WHERE \(updated)
            """, arguments: [Instant.seconds(wake.at), dates[.fr], dates[.en]], late: late)
    }
}
