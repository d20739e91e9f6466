public import Foundation
public import GRDB
public import RolloutCore
import RolloutStore

/// Rows another process wrote that break a rule (DMN-7): found at wakes, recorded in
/// `skipped_row`, journaled once when first seen (the "subject skipped" entry), listed by
/// `status` and `rolloutctl skipped`, and forgotten once repaired. The rules' own queries leave
/// these rows out — every other subject proceeds — and no deadline is taken from them, so a
/// deadline that cannot be decided never wakes the loop again and again.
///
/// Checks on the few rows with a pending deadline run at every wake; checks that read a whole
/// table (every endpoint) run at business-day boundaries only.
public struct BadRowRule: WakeRule {
    struct Check {
        let kind: String
        let table: String
        let rule: String
        let reason: String
        let everyWake: Bool
        /// Selects the offending rows' keys; a `?` is the configured maximum deferral limit.
        let sql: String
    }

    static let checks: [Check] = [
        Check(kind: "reminder_not_deferred", table: "endpoint", rule: "UPG-6", reason: "a reminder is set but the endpoint is not deferred",
              everyWake: true, sql: "SELECT id FROM endpoint WHERE next_reminder_at IS NOT NULL AND upgrade_state IS NOT 'deferred'"),
        Check(kind: "deferral_deadline_missing", table: "endpoint", rule: "UPG-6",
              reason: "notified or deferred without a deferral deadline D", everyWake: true,
              sql: "SELECT id FROM endpoint WHERE upgrade_state IN ('notified','deferred') AND deferral_deadline IS NULL"),
        Check(kind: "order_state_unknown", table: "upgrade_order", rule: "UPG-4", reason: "unknown order state", everyWake: true,
              sql: "SELECT id FROM upgrade_order WHERE state NOT IN ('ordered','processed','failed')"),
        Check(kind: "order_answer_inconsistent", table: "upgrade_order", rule: "UPG-4",
              reason: "answered, yet still 'ordered' (or processed/failed without an answer instant)", everyWake: true,
              sql: "SELECT id FROM upgrade_order WHERE (state = 'ordered' AND answered_at IS NOT NULL) OR (state IN ('processed','failed') AND answered_at IS NULL)"),
        Check(kind: "programme_instants_out_of_order", table: "programme", rule: "UPG-1",
              reason: "announcement, window start and automatic upgrade are not in order", everyWake: true,
              sql: "SELECT partner_id FROM programme WHERE NOT (announce_at <= window_start_at AND window_start_at <= auto_upgrade_at)"),
        Check(kind: "billing_day_out_of_range", table: "partner", rule: "UPG-9", reason: "billing day outside 1–28", everyWake: true,
              sql: "SELECT id FROM partner WHERE billing_day NOT BETWEEN 1 AND 28"),
        Check(kind: "deferral_limit_out_of_range", table: "partner", rule: "UPG-6",
              reason: "end-user deferral limit outside 0–upgrades.max_end_user_deferral_days", everyWake: true,
              sql: "SELECT id FROM partner WHERE end_user_deferral_days NOT BETWEEN 0 AND ?"),
        Check(kind: "installed_version_invalid", table: "endpoint", rule: "CAD-2",
              reason: "the installed version is not dotted numbers", everyWake: false,
              sql: "SELECT id FROM endpoint WHERE \(BadRowCondition.installedVersionInvalid)"),
        Check(kind: "upgrade_state_unknown", table: "endpoint", rule: "UPG-6", reason: "unknown upgrade state", everyWake: false,
              sql: "SELECT id FROM endpoint WHERE \(BadRowCondition.upgradeStateUnknown)"),
        Check(kind: "platform_unknown", table: "endpoint", rule: "CAD-7", reason: "unknown platform", everyWake: false,
              sql: "SELECT id FROM endpoint WHERE \(BadRowCondition.platformUnknown)"),
        Check(kind: "generation_unknown", table: "organisation", rule: "UPG-5", reason: "generation is neither legacy nor cloud",
              everyWake: false, sql: "SELECT id FROM organisation WHERE \(BadRowCondition.generationUnknown)"),
        Check(kind: "policy_features_invalid", table: "organisation", rule: "UPG-3", reason: "policy_features is not a JSON array",
              everyWake: false, sql: "SELECT id FROM organisation WHERE \(BadRowCondition.policyFeaturesInvalid)"),
        Check(kind: "sha256_invalid", table: "release_build", rule: "CAD-11", reason: "sha256 is not 64 hexadecimal digits",
              everyWake: false, sql: "SELECT version || '/' || platform FROM release_build WHERE length(sha256) != 64 OR lower(sha256) GLOB '*[^0-9a-f]*'"),
    ]

    /// At most this many newly found rows get their own journal entry per wake; the rest one.
    static let reportedPerWake = 20

    public init() {}

    public func deadlines(_ db: Database, after cursor: Date, context: RuleContext) throws -> [Deadline] { [] }

    public func process(_ wake: inout WakeContext) throws {
        let db = wake.db
        let at = Instant.seconds(wake.wake.at)
        var found: [(kind: String, table: String, rule: String, reason: String, row: String)] = []
        var checked: [String] = ["schedule_change_invalid"]
        for id in try ScheduleChanges.invalidPending(db) {
            found.append(("schedule_change_invalid", "schedule_change", "CAD-8",
                          "no valid change: unknown kind, actor or cadence, or a deferral out of bounds", String(id)))
        }
        for check in Self.checks where check.everyWake || wake.wake.isBoundary {
            checked.append(check.kind)
            let arguments: StatementArguments = check.sql.contains("?") ? [wake.rules.policy.maxEndUserDeferralDays] : []
            for row in try String.fetchAll(db, sql: check.sql, arguments: arguments) {
                found.append((check.kind, check.table, check.rule, check.reason, row))
            }
        }
        var fresh: [(subject: String, rule: String, reason: String)] = []
        for row in found {
            try db.execute(sql: """
                INSERT INTO skipped_row (kind, table_name, row_id, rule, reason, first_seen_at, last_seen_at) VALUES (?,?,?,?,?,?,?)
                ON CONFLICT DO UPDATE SET last_seen_at = excluded.last_seen_at
                """, arguments: [row.kind, row.table, row.row, row.rule, row.reason, at, at])
            if try Int64.fetchOne(db, sql: "SELECT first_seen_at FROM skipped_row WHERE kind = ? AND table_name = ? AND row_id = ?",
                                  arguments: [row.kind, row.table, row.row]) == at {
                fresh.append(("\(row.table):\(row.row)", row.rule, "\(row.reason) (\(row.kind))"))
            }
        }
        // Repaired rows are forgotten; a check that did not run at this wake keeps its rows.
        try db.execute(sql: """
            DELETE FROM skipped_row WHERE last_seen_at < ? AND kind IN (\(checked.map { _ in "?" }.joined(separator: ",")))
            """, arguments: StatementArguments([at] + checked))
        for row in fresh.prefix(Self.reportedPerWake) { wake.skip(row.subject, rule: row.rule, reason: row.reason) }
        if fresh.count > Self.reportedPerWake {
            wake.skip("\(fresh.count - Self.reportedPerWake) more rows", rule: "DMN-7",
                      reason: "they break rules too; `rolloutctl skipped` lists every one")
        }
    }
}
