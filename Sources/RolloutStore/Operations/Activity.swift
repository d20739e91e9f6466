public import Foundation
import GRDB
import RolloutCore

/// Decisions and notifications per wake, optionally narrowed to a partner or an organisation:
/// what `rolloutctl forecast` shows of each upcoming wake.
public struct WakeActivity: Codable, Equatable, Sendable {
    public let at: Date
    /// Decisions by SPEC rule and outcome (`CAD-2 → 45.11.0`, `UPG-6 → installing`), with counts.
    public let decisions: [String: Int]
    /// Notifications by kind, with counts.
    public let notifications: [String: Int]
    /// Decisions by organisation, with counts, so a fleet-wide view can say who moves.
    public let organisations: [String: Int]
    /// The same decisions, typed: by kind and after-value (decisions recorded before kinds
    /// existed are left out).
    public let decisionCounts: [DecisionCount]
}

/// How many decisions of one kind reached one after-value.
public struct DecisionCount: Codable, Equatable, Sendable {
    public let rule: String
    public let kind: DecisionKind
    public let after: DecisionValue?
    public let count: Int
}

extension Store {
    /// Activity of the wakes in (from, through], filtered on partner or organisation.
    public func activity(after from: Date, through: Date, partner: String?, organisation: String?) throws -> [WakeActivity] {
        try read { db in
            let arguments: StatementArguments = [Instant.seconds(from), Instant.seconds(through), partner, organisation]
            var byWake: [Int64: ([String: Int], [String: Int], [String: Int])] = [:]
            var typed: [Int64: [DecisionCount]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT d.wake_at, d.rule || ' → ' || coalesce(d.after, '-') AS what, count(*) AS n
                FROM decision d
                WHERE d.wake_at > ?1 AND d.wake_at <= ?2
                  AND (?3 IS NULL OR d.partner_id = ?3 OR EXISTS (SELECT 1 FROM organisation_partner op
                        WHERE op.organisation_id = d.organisation_id AND op.partner_id = ?3))
                  AND (?4 IS NULL OR d.organisation_id = ?4)
                GROUP BY d.wake_at, what
                """, arguments: arguments) {
                byWake[row[0], default: ([:], [:], [:])].0[row[1]] = row[2]
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT d.wake_at, d.organisation_id, count(*) AS n
                FROM decision d
                WHERE d.wake_at > ?1 AND d.wake_at <= ?2 AND d.organisation_id IS NOT NULL
                  AND (?3 IS NULL OR d.partner_id = ?3 OR EXISTS (SELECT 1 FROM organisation_partner op
                        WHERE op.organisation_id = d.organisation_id AND op.partner_id = ?3))
                  AND (?4 IS NULL OR d.organisation_id = ?4)
                GROUP BY d.wake_at, d.organisation_id
                """, arguments: arguments) {
                byWake[row[0], default: ([:], [:], [:])].2[row[1]] = row[2]
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT d.wake_at, d.kind, d.after_value, count(*) AS n, min(d.id) AS example
                FROM decision d
                WHERE d.wake_at > ?1 AND d.wake_at <= ?2 AND d.kind IS NOT NULL
                  AND (?3 IS NULL OR d.partner_id = ?3 OR EXISTS (SELECT 1 FROM organisation_partner op
                        WHERE op.organisation_id = d.organisation_id AND op.partner_id = ?3))
                  AND (?4 IS NULL OR d.organisation_id = ?4)
                GROUP BY d.wake_at, d.kind, d.after_value
                ORDER BY d.wake_at, d.kind, d.after_value
                """, arguments: arguments) {
                let example: Int64 = row["example"]
                guard let kind = try DecisionKind.stored(row["kind"], row: example) else { continue }
                typed[row["wake_at"], default: []].append(
                    DecisionCount(rule: kind.rule, kind: kind, after: try DecisionValue.stored(row["after_value"], row: example), count: row["n"]))
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT n.due_at, n.kind, count(*) FROM notification n
                WHERE n.due_at > ?1 AND n.due_at <= ?2 AND (?4 IS NULL OR n.organisation_id = ?4)
                  AND (?3 IS NULL OR n.partner_id = ?3 OR EXISTS (SELECT 1 FROM organisation_partner op
                        WHERE op.organisation_id = n.organisation_id AND op.partner_id = ?3))
                GROUP BY n.due_at, n.kind
                """, arguments: arguments) {
                byWake[row[0], default: ([:], [:], [:])].1[row[1]] = row[2]
            }
            return byWake.keys.sorted().map { at in
                WakeActivity(at: Instant.date(at), decisions: byWake[at]!.0, notifications: byWake[at]!.1, organisations: byWake[at]!.2,
                             decisionCounts: typed[at] ?? [])
            }
        }
    }
}

extension Store {
    /// The decisions of the wake at `at`, per organisation (nil: partner-level ones), by SPEC
    /// rule and outcome with counts — what `log_level = "debug"` logs, never per endpoint.
    public func decisionsByOrganisation(at: Date) throws -> [(organisation: String?, decisions: [String: Int])] {
        try read { db in
            var byOrganisation: [String: [String: Int]] = [:]
            for row in try Row.fetchAll(db, sql: """
                SELECT coalesce(organisation_id, ''), rule || ' → ' || coalesce(after, '-'), count(*) FROM decision WHERE wake_at = ?
                GROUP BY 1, 2
                """, arguments: [Instant.seconds(at)]) {
                byOrganisation[row[0], default: [:]][row[1]] = row[2]
            }
            return byOrganisation.sorted { $0.key < $1.key }.map { ($0.key.isEmpty ? nil : $0.key, $0.value) }
        }
    }
}
