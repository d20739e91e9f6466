import Foundation
import GRDB
import RolloutCore
import RolloutStore

/// The programme's own instants (UPG-2, UPG-3): announcement banners and the window opening.
enum ProgrammeEvents {
    /// Banners for every programme whose announcement is due: the partner, and the admins of
    /// each of its legacy customers (UPG-2).
    static func announce(_ wake: inout WakeContext) throws {
        let db = wake.db
        let calendar = wake.rules.calendar
        let due = try Row.fetchAll(db, sql: """
            SELECT p.partner_id, p.announce_at, p.window_start_at, p.auto_upgrade_at, pa.name, pa.locale
            FROM programme p JOIN partner pa ON pa.id = p.partner_id
            WHERE p.announced_at IS NULL AND p.announce_at <= ?1
              AND NOT \(Pauses.partnerHeld(.programme, partner: "p.partner_id", at: "?1")) ORDER BY p.partner_id
            """, arguments: [Instant.seconds(wake.wake.at)])
        for row in due {
            let partner: String = row["partner_id"]
            let language = try row.decode(Language.self, forColumn: "locale")
            let announceAt = Instant.date(row["announce_at"])
            let windowStart = Instant.date(row["window_start_at"])
            wake.notified(try Outbox.emit(db, Outbox.Notice(
                kind: .programmeAnnounced, audience: .partnerAdmins, partner: partner, organisation: nil, language: language,
                values: [.partner: row["name"], .date: NotificationDates.format(windowStart, language, calendar: calendar),
                         .deadline: NotificationDates.format(Instant.date(row["auto_upgrade_at"]), language, calendar: calendar)],
                subject: "partner:\(partner)", occurrence: IdempotencyKey.occurrence(announceAt), dueAt: announceAt,
                facts: NotificationFacts(date: windowStart, deadline: Instant.date(row["auto_upgrade_at"]))), late: wake.summary.late))
            let dates = Language.allCases.map { NotificationDates.format(windowStart, $0, calendar: calendar) }
            wake.notified(try Outbox.emitAll(db, kind: .customerProgrammeAnnounced, audience: .customerAdmins, source: """
                SELECT 'organisation:' || o.id AS subject, ? AS occurrence, ? AS partner_id, o.id AS organisation_id, NULL AS user_id,
                       NULL AS endpoint_id, ? AS locale, ? AS due_at, ? AS partner, o.name AS organisation,
                       CASE ? WHEN 'fr' THEN ? ELSE ? END AS date, ? AS facts
                FROM organisation o JOIN organisation_partner op ON op.organisation_id = o.id
                WHERE op.partner_id = ? AND o.generation = 'legacy'
                """, arguments: [IdempotencyKey.occurrence(announceAt), partner, language.rawValue, Instant.seconds(announceAt),
                                 row["name"] as String, language.rawValue, dates[1], dates[0], NotificationFacts(date: windowStart).json,
                                 partner], withFacts: true, late: wake.summary.late))
            try db.execute(sql: "UPDATE programme SET announced_at = ? WHERE partner_id = ?", arguments: [Instant.seconds(wake.wake.at), partner])
            try wake.record(.programmeAnnounced, subjectKind: "partner", subjectID: partner, partner: partner, before: nil, after: "announced",
                            afterValue: DecisionValue(programme: "announced"))
            wake.count("programme_announced")
        }
    }

    /// The window opens: a banner to the partner (UPG-3); readiness is evaluated by the caller.
    static func openWindows(_ wake: inout WakeContext) throws {
        let db = wake.db
        let due = try Row.fetchAll(db, sql: """
            SELECT p.partner_id, p.window_start_at, p.auto_upgrade_at, pa.name, pa.locale FROM programme p JOIN partner pa ON pa.id = p.partner_id
            WHERE p.window_opened_at IS NULL AND p.window_start_at <= ?1
              AND NOT \(Pauses.partnerHeld(.programme, partner: "p.partner_id", at: "?1")) ORDER BY p.partner_id
            """, arguments: [Instant.seconds(wake.wake.at)])
        for row in due {
            let partner: String = row["partner_id"]
            let language = try row.decode(Language.self, forColumn: "locale")
            let windowStart = Instant.date(row["window_start_at"])
            wake.notified(try Outbox.emit(db, Outbox.Notice(
                kind: .windowOpen, audience: .partnerAdmins, partner: partner, organisation: nil, language: language,
                values: [.partner: row["name"],
                         .deadline: NotificationDates.format(Instant.date(row["auto_upgrade_at"]), language, calendar: wake.rules.calendar)],
                subject: "partner:\(partner)", occurrence: IdempotencyKey.occurrence(windowStart), dueAt: windowStart,
                facts: NotificationFacts(deadline: Instant.date(row["auto_upgrade_at"]))), late: wake.summary.late))
            try db.execute(sql: "UPDATE programme SET window_opened_at = ? WHERE partner_id = ?", arguments: [Instant.seconds(wake.wake.at), partner])
            try wake.record(.windowOpened, subjectKind: "partner", subjectID: partner, partner: partner, before: nil, after: "window open",
                            afterValue: DecisionValue(programme: "window_open"))
            wake.count("window_opened")
        }
    }
}
