public import Foundation
import GRDB
import RolloutCore

/// One line of a subject's audit trail (`rolloutctl history`): a decision or a notification.
public struct HistoryEntry: Codable, Equatable, Sendable {
    /// `decision`, `notification`, or `request` (a write made through the API; `after` names its
    /// token, API-2).
    public let type: String
    /// The wake instant of a decision, the due instant of a notification.
    public let at: Date
    /// The SPEC rule that decided (`CAD-8`, `UPG-6`, …), or the notification kind.
    public let rule: String
    public let subject: String
    public let before: String?
    public let after: String?
    /// For notifications: audience, language, late flag and idempotency key.
    public let audience: String?
    public let locale: String?
    public let late: Bool?
    public let key: String?
    public let text: String?
    /// For decisions recorded since decisions are data: the kind and before/after as values.
    public let kind: DecisionKind?
    public let beforeValue: DecisionValue?
    public let afterValue: DecisionValue?

    enum CodingKeys: String, CodingKey {
        case type, at, rule, subject, before, after, audience, locale, late, key, text, kind
        case beforeValue = "before_value"
        case afterValue = "after_value"
    }
}

/// Whose history to show.
public enum HistorySubject: Sendable {
    case organisation(String), endpoint(String), partner(String)
}

extension Store {
    /// Every decision and notification about a subject, oldest first (indexes decision_by_*,
    /// notification_by_*), optionally only those at or after `since` and before `until`. `limit`
    /// keeps the newest entries.
    public func history(of subject: HistorySubject, since: Date? = nil, until: Date? = nil, limit: Int) throws -> [HistoryEntry] {
        try read { db in
            let (decisionFilter, notificationFilter, id): (String, String, String) = switch subject {
            case .organisation(let id):
                ("(organisation_id = ?1 OR (subject_kind = 'organisation' AND subject_id = ?1))", "organisation_id = ?1", id)
            case .endpoint(let id): ("subject_kind = 'endpoint' AND subject_id = ?1", "endpoint_id = ?1", id)
            case .partner(let id): ("partner_id = ?1 OR (subject_kind = 'partner' AND subject_id = ?1)", "partner_id = ?1", id)
            }
            // API requests share the decisions' subject columns, so the same filter selects them (API-2).
            let rows = try Row.fetchAll(db, sql: """
                SELECT * FROM (
                    SELECT 'decision' AS type, wake_at AS at, rule, subject_kind || ':' || subject_id AS subject, before, after,
                           NULL AS audience, NULL AS locale, NULL AS late, NULL AS key, NULL AS text, id AS seq,
                           kind AS decision_kind, before_value, after_value
                    FROM decision WHERE \(decisionFilter)
                    UNION ALL
                    SELECT 'notification', due_at, kind, coalesce('endpoint:' || endpoint_id, 'organisation:' || organisation_id,
                           'partner:' || partner_id), NULL, NULL, audience, locale, late, idempotency_key, subject || ' — ' || body, id,
                           NULL, NULL, NULL
                    FROM notification WHERE \(notificationFilter)
                    UNION ALL
                    SELECT 'request', at, action, subject_kind || ':' || subject_id, NULL,
                           'requested by token ''' || token_name || ''' (' || token_id || ', ' || role || ')',
                           NULL, NULL, NULL, NULL, NULL, id, NULL, NULL, NULL
                    FROM request_audit WHERE \(decisionFilter)
                ) WHERE (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4) ORDER BY at DESC, type, seq DESC LIMIT ?2
                """, arguments: [id, limit, since.map(Instant.seconds), until.map(Instant.seconds)])
            return try rows.reversed().map { row in
                let seq: Int64 = row["seq"]
                return HistoryEntry(type: row["type"], at: Instant.date(row["at"]), rule: row["rule"], subject: row["subject"],
                                    before: row["before"], after: row["after"], audience: row["audience"], locale: row["locale"],
                                    late: row["late"], key: row["key"], text: row["text"],
                                    kind: try DecisionKind.stored(row["decision_kind"], row: seq),
                                    beforeValue: try DecisionValue.stored(row["before_value"], row: seq),
                                    afterValue: try DecisionValue.stored(row["after_value"], row: seq))
            }
        }
    }
}
