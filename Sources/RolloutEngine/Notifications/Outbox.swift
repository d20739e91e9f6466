import Foundation
import GRDB
import RolloutCore
import RolloutStore

/// The notification outbox consoles and agents read (NOT-1…3).
///
/// Rows are written inside the wake's transaction (NOT-2) with `INSERT OR IGNORE` on the unique
/// idempotency key, so the same (kind, subject, occurrence) is never emitted twice, whatever
/// replays, restarts or second loops (NOT-1). A notification due while the daemon was down is
/// written on catch-up with `late = 1` and its original due instant (NOT-3). Text comes from the
/// core's templates, in the partner's language, filled in Swift for one notification or, for a
/// fleet, by SQL concatenating the template's pieces: the same one-pass fill, one `||` per piece.
enum Outbox {
    /// One notification, filled in Swift.
    struct Notice {
        var kind: NotificationKind
        var audience: NotificationAudience
        var partner: String?
        var organisation: String?
        var user: String? = nil
        var endpoint: String? = nil
        var language: Language
        var values: [NotificationPlaceholder: String]
        /// The key's subject (`organisation:o-1`) and occurrence (`1773072000`, `order:12`).
        var subject: String
        var occurrence: String
        var dueAt: Date
        /// The values again, typed, for webhook payloads: set by the kinds partners and
        /// customers receive.
        var facts = NotificationFacts()
    }

    /// Writes one notification; returns 1 if it is new, 0 if its key was emitted before.
    @discardableResult
    static func emit(_ db: Database, _ notice: Notice, late: Bool) throws -> Int {
        let key = IdempotencyKey(kind: notice.kind, subject: notice.subject, occurrence: notice.occurrence)
        // Emitted at an earlier wake: nothing to render. A programme boundary holds every
        // organisation that is still not ready again, and rendering 88,500 unchanged notices only
        // for INSERT OR IGNORE to drop them took 5 s at 1M.
        let emitted = try db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM notification WHERE idempotency_key = ?)")
        if try Bool.fetchOne(emitted, arguments: [key.canonical]) == true { return 0 }
        let text = NotificationTemplates.render(notice.kind, notice.language,
                                                values: Dictionary(uniqueKeysWithValues: notice.values.map { ($0.key.rawValue, $0.value) }))
        try db.execute(sql: """
            INSERT OR IGNORE INTO notification (idempotency_key, kind, audience, partner_id, organisation_id, user_id, endpoint_id,
                                                locale, due_at, emitted_at, late, subject, body, facts)
            VALUES (?,?,?,?,?,?,?,?,?,CAST(strftime('%s','now') AS INTEGER),?,?,?,?)
            """, arguments: [
                key.canonical, notice.kind.rawValue, notice.audience.rawValue, notice.partner, notice.organisation,
                notice.user, notice.endpoint, notice.language.rawValue, Instant.seconds(notice.dueAt), late, text.subject, text.body,
                notice.facts.json,
            ])
        return db.changesCount
    }

    /// Writes one notification of `kind` per row of `source`, in one statement. `source` is a
    /// SELECT with the columns `subject`, `occurrence`, `partner_id`, `organisation_id`,
    /// `user_id`, `endpoint_id`, `locale`, `due_at`, and one column per placeholder of the kind,
    /// named after it, and with `withFacts` a `facts` column (JSON, `NotificationFacts`).
    /// Returns how many were new.
    static func emitAll(_ db: Database, kind: NotificationKind, audience: NotificationAudience, source: String,
                        arguments: StatementArguments = [], withFacts: Bool = false, late: Bool) throws -> Int {
        var textArguments: [(any DatabaseValueConvertible)?] = []
        let names = Set(kind.placeholders.map(\.rawValue))
        // Concatenation rather than nested `replace()`: 4.7 s instead of 5.5 s for 863,000
        // update-available notifications, and a value is never scanned for tokens, as in `render`.
        func fill(_ part: KeyPath<NotificationTemplate, String>) -> String {
            var cases = ""
            for language in Language.allCases {
                let pieces = NotificationTemplates.pieces(of: NotificationTemplates.template(kind, language)[keyPath: part], filling: names)
                let expression = pieces.map { piece -> String in
                    switch piece {
                    case .text(let text):
                        textArguments.append(text)
                        return "?"
                    case .value(let name):
                        return "coalesce(src.\"\(name)\", '')"
                    }
                }.joined(separator: " || ")
                cases += " WHEN '\(language.rawValue)' THEN \(expression.isEmpty ? "''" : expression)"
            }
            return "CASE src.locale\(cases) END"
        }
        let subjectSQL = fill(\.subject)
        let bodySQL = fill(\.body)
        try db.execute(sql: """
            INSERT OR IGNORE INTO notification (idempotency_key, kind, audience, partner_id, organisation_id, user_id, endpoint_id,
                                                locale, due_at, emitted_at, late, subject, body, facts)
            SELECT '\(kind.rawValue)|' || \(escaped("src.subject")) || '|' || \(escaped("src.occurrence")),
                   '\(kind.rawValue)', '\(audience.rawValue)', src.partner_id, src.organisation_id, src.user_id, src.endpoint_id,
                   src.locale, src.due_at, CAST(strftime('%s','now') AS INTEGER), ?, \(subjectSQL), \(bodySQL),
                   \(withFacts ? "src.facts" : "NULL")
            FROM (\(source)) AS src
            """, arguments: StatementArguments([late as (any DatabaseValueConvertible)?] + textArguments) + arguments)
        return db.changesCount
    }

    /// IdempotencyKey's escaping (`\` → `\\`, `|` → `\|`), in SQL.
    private static func escaped(_ column: String) -> String {
        "replace(replace(CAST(\(column) AS TEXT), '\\', '\\\\'), '|', '\\|')"
    }

    /// The language of a partner's notifications (NOT-2).
    static func language(_ db: Database, partner: String?) throws -> Language {
        guard let partner else { return .en }
        return try Language.fetchOne(db, sql: "SELECT locale FROM partner WHERE id = ?", arguments: [partner]) ?? .en
    }

    /// Fills `temp.notice_organisation` (id, name, partner_id, locale) for the organisations
    /// `ids` (a SELECT) yields: each organisation's first managing partner and that partner's
    /// language (NOT-2), found once per wake rather than once per notification.
    static func stageOrganisations(_ db: Database, ids: String) throws {
        try db.execute(sql: """
            CREATE TEMP TABLE IF NOT EXISTS notice_organisation (
                id TEXT PRIMARY KEY NOT NULL, name TEXT NOT NULL, partner_id TEXT, locale TEXT NOT NULL) WITHOUT ROWID;
            DELETE FROM temp.notice_organisation;
            INSERT INTO temp.notice_organisation (id, name, partner_id, locale)
            SELECT x.id, x.name, x.partner_id, coalesce(p.locale, 'en') FROM (
                SELECT o.id, o.name, (SELECT min(op.partner_id) FROM organisation_partner op WHERE op.organisation_id = o.id) AS partner_id
                FROM organisation o WHERE o.id IN (\(ids))
            ) x LEFT JOIN partner p ON p.id = x.partner_id;
            """)
    }
}
