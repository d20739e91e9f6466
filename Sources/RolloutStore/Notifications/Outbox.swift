import Foundation
import GRDB
import RolloutCore

/// The notification outbox consoles and agents read (NOT-1…3). Rows are written inside the
/// wake's transaction (NOT-2) with `INSERT OR IGNORE` on the unique idempotency key, so the same
/// (kind, subject, occurrence) is never emitted twice, whatever replays or restarts (NOT-1).
/// A notification due while the daemon was down is written on catch-up with `late = 1` and its
/// original due instant (NOT-3).
enum Outbox {
    struct Message {
        var kind: String
        var audience: String
        var partner: String?
        var organisation: String?
        var user: String?
        var endpoint: String?
        var language: Language
        var subject: String
        var body: String
    }

    /// Writes one notification; returns 1 if it was new, 0 if its key was already emitted.
    static func emit(_ db: Database, _ message: Message, subjectKey: String, occurrence: String,
                     dueAt: Date, late: Bool) throws -> Int {
        try db.execute(sql: """
            INSERT OR IGNORE INTO notification (idempotency_key, kind, audience, partner_id, organisation_id, user_id, endpoint_id,
                                                locale, due_at, emitted_at, late, subject, body)
            VALUES (?,?,?,?,?,?,?,?,?,CAST(strftime('%s','now') AS INTEGER),?,?,?)
            """, arguments: [
                key(message.kind, subjectKey, occurrence), message.kind, message.audience, message.partner, message.organisation,
                message.user, message.endpoint, message.language.rawValue, Instant.seconds(dueAt), late, message.subject, message.body,
            ])
        return db.changesCount
    }

    /// NOT-1: kind, subject and occurrence, `|`-separated.
    static func key(_ kind: String, _ subject: String, _ occurrence: String) -> String {
        "\(kind)|\(subject)|\(occurrence)"
    }

    /// The language of a partner's notifications (NOT-2).
    static func language(_ db: Database, partner: String?) throws -> Language {
        guard let partner else { return .en }
        return try String.fetchOne(db, sql: "SELECT locale FROM partner WHERE id = ?", arguments: [partner])
            .flatMap(Language.init(rawValue:)) ?? .en
    }

    /// CAD-8: the organisation's admins (and each managing partner's), or a partner's admins
    /// for a partner-level change, are told the change was applied.
    static func scheduleChangeApplied(_ db: Database, change: ScheduleChangeRequest, partner: String?, wake: Wake, late: Bool) throws -> Int {
        var count = 0
        let occurrence = "change:\(change.id)"
        switch change.subject {
        case .organisation(let organisation):
            let language = try language(db, partner: partner)
            count += try emit(db, Message(kind: "schedule_change_applied", audience: "customer_admins", partner: partner,
                                          organisation: organisation, language: language,
                                          subject: Texts.changeAppliedSubject(language),
                                          body: Texts.changeAppliedBody(language, subject: organisation, change: change.edit.summary)),
                              subjectKey: "organisation:\(organisation)", occurrence: occurrence, dueAt: change.applyBy, late: late)
            for manager in try String.fetchAll(db, sql: "SELECT partner_id FROM organisation_partner WHERE organisation_id = ? ORDER BY partner_id",
                                               arguments: [organisation]) {
                let partnerLanguage = try Self.language(db, partner: manager)
                count += try emit(db, Message(kind: "schedule_change_applied", audience: "partner_admins", partner: manager,
                                              organisation: organisation, language: partnerLanguage,
                                              subject: Texts.changeAppliedSubject(partnerLanguage),
                                              body: Texts.changeAppliedBody(partnerLanguage, subject: organisation, change: change.edit.summary)),
                                  subjectKey: "organisation:\(organisation):partner:\(manager)", occurrence: occurrence,
                                  dueAt: change.applyBy, late: late)
            }
        case .partner(let id):
            let language = try language(db, partner: id)
            count += try emit(db, Message(kind: "schedule_change_applied", audience: "partner_admins", partner: id, language: language,
                                          subject: Texts.changeAppliedSubject(language),
                                          body: Texts.changeAppliedBody(language, subject: id, change: change.edit.summary)),
                              subjectKey: "partner:\(id)", occurrence: occurrence, dueAt: change.applyBy, late: late)
        }
        return count
    }

    /// CAD-2: "update available" for the user of every endpoint retargeted above what it runs at
    /// this wake — one statement for the whole fleet, from `temp.retarget`.
    static func updateAvailable(_ db: Database, wake: Wake, late: Bool) throws -> Int {
        try db.execute(sql: """
            INSERT OR IGNORE INTO notification (idempotency_key, kind, audience, partner_id, organisation_id, user_id, endpoint_id,
                                                locale, due_at, emitted_at, late, subject, body)
            SELECT 'update_available|endpoint:' || r.endpoint_id || '|version:' || r.new_version,
                   'update_available', 'end_user', p.id, r.organisation_id, r.user_id, r.endpoint_id, coalesce(p.locale, 'en'), ?,
                   CAST(strftime('%s','now') AS INTEGER), ?,
                   CASE coalesce(p.locale, 'en') WHEN 'fr' THEN 'Mise à jour disponible' ELSE 'Update available' END,
                   CASE coalesce(p.locale, 'en')
                       WHEN 'fr' THEN 'La version ' || r.new_version || ' est disponible pour ' || r.endpoint_id || '.'
                       ELSE 'Version ' || r.new_version || ' is available for ' || r.endpoint_id || '.' END
            FROM temp.retarget r
            LEFT JOIN partner p ON p.id = (SELECT min(partner_id) FROM organisation_partner WHERE organisation_id = r.organisation_id)
            WHERE r.user_id IS NOT NULL AND r.new_key > r.installed_key
            """, arguments: [Instant.seconds(wake.at), late])
        return db.changesCount
    }
}

/// Texts of the release-management notifications, in the partner's language (NOT-2).
enum Texts {
    static func changeAppliedSubject(_ language: Language) -> String {
        language == .fr ? "Modification du calendrier de versions appliquée" : "Release schedule change applied"
    }

    static func changeAppliedBody(_ language: Language, subject: String, change: String) -> String {
        language == .fr ? "La modification demandée pour \(subject) est appliquée : \(change)."
            : "The change requested for \(subject) is now applied: \(change)."
    }
}
