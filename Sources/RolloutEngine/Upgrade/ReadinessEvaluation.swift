import Foundation
import GRDB
import RolloutCore
import RolloutStore

/// Evaluates the readiness checklist (UPG-3) of many organisations at once: SQL counts the
/// failing endpoints per organisation and item (OS versions and agent versions are judged by the
/// core once per distinct value, not once per endpoint), the core turns the counts into items.
///
/// Only desktop endpoints count: the cloud agent and its automatic upgrades are desktop-only, as
/// release management is (CAD-7), so an organisation's phones neither block its upgrade nor get
/// an agent upgrade.
enum ReadinessEvaluation {
    /// The checklist of each organisation selected by `organisations` (a SELECT of ids), at `at`.
    static func evaluate(_ db: Database, organisations: String, arguments: StatementArguments = [],
                         at instant: Date, criteria: ReadinessCriteria, calendar: BusinessCalendar) throws -> [String: Readiness] {
        try db.execute(sql: """
            CREATE TEMP TABLE IF NOT EXISTS readiness_scope (organisation_id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
            DELETE FROM temp.readiness_scope;
            CREATE TEMP TABLE IF NOT EXISTS unsupported_os (platform TEXT NOT NULL, os_version TEXT, UNIQUE (platform, os_version));
            DELETE FROM temp.unsupported_os;
            CREATE TEMP TABLE IF NOT EXISTS outdated_agent (agent_version TEXT UNIQUE);
            DELETE FROM temp.outdated_agent;
            """)
        try db.execute(sql: "INSERT OR IGNORE INTO temp.readiness_scope \(organisations)", arguments: arguments)
        for row in try Row.fetchAll(db, sql: """
            SELECT DISTINCT e.platform, e.os_version FROM temp.readiness_scope s CROSS JOIN endpoint e ON e.organisation_id = s.organisation_id
            WHERE \(SQLCondition.desktop("e.platform"))
            """) {
            let platform = Platform(rawValue: row[0])
            let version = (row[1] as String?).flatMap(Version.init)
            if platform.map({ !criteria.isSupported(platform: $0, osVersion: version) }) ?? true {
                try db.execute(sql: "INSERT OR IGNORE INTO temp.unsupported_os VALUES (?, ?)", arguments: [row[0] as String, row[1] as String?])
            }
        }
        for text in try String?.fetchAll(db, sql: """
            SELECT DISTINCT e.agent_version FROM temp.readiness_scope s CROSS JOIN endpoint e ON e.organisation_id = s.organisation_id
            WHERE \(SQLCondition.desktop("e.platform"))
            """) where !criteria.hasCurrentAgent(text.flatMap(Version.init)) {
            try db.execute(sql: "INSERT OR IGNORE INTO temp.outdated_agent VALUES (?)", arguments: [text])
        }
        let cutoff = Instant.seconds(criteria.checkInCutoff(at: instant, calendar: calendar))
        // One pass over the endpoints in scope: a flag per item, the counts, and the first
        // Readiness.listedIDs failing ids per item and organisation.
        let rows = try Row.fetchAll(db, sql: """
            WITH flagged AS (
                SELECT e.organisation_id, e.id,
                       (e.last_check_in IS NULL OR e.last_check_in < ?) AS stale,
                       EXISTS (SELECT 1 FROM temp.unsupported_os u WHERE u.platform = e.platform AND u.os_version IS e.os_version) AS unsupported,
                       EXISTS (SELECT 1 FROM temp.outdated_agent a WHERE a.agent_version IS e.agent_version) AS outdated
                FROM temp.readiness_scope s CROSS JOIN endpoint e ON e.organisation_id = s.organisation_id
                WHERE \(SQLCondition.desktop("e.platform"))
            ), ranked AS (
                SELECT *, row_number() OVER (PARTITION BY organisation_id, stale ORDER BY id) AS stale_rank,
                          row_number() OVER (PARTITION BY organisation_id, unsupported ORDER BY id) AS unsupported_rank,
                          row_number() OVER (PARTITION BY organisation_id, outdated ORDER BY id) AS outdated_rank
                FROM flagged
            )
            SELECT s.organisation_id, o.policy_features, count(r.id) AS total,
                   coalesce(sum(r.stale), 0) AS stale, coalesce(sum(r.unsupported), 0) AS unsupported, coalesce(sum(r.outdated), 0) AS outdated,
                   group_concat(CASE WHEN r.stale AND r.stale_rank <= ? THEN r.id END) AS stale_ids,
                   group_concat(CASE WHEN r.unsupported AND r.unsupported_rank <= ? THEN r.id END) AS unsupported_ids,
                   group_concat(CASE WHEN r.outdated AND r.outdated_rank <= ? THEN r.id END) AS outdated_ids
            FROM temp.readiness_scope s CROSS JOIN organisation o ON o.id = s.organisation_id
            LEFT JOIN ranked r ON r.organisation_id = s.organisation_id
            GROUP BY s.organisation_id
            """, arguments: [cutoff, Readiness.listedIDs, Readiness.listedIDs, Readiness.listedIDs])
        var result: [String: Readiness] = [:]
        for row in rows {
            func failing(_ count: String, _ ids: String) -> ReadinessFacts.Failing {
                let samples = (row[ids] as String?).map { $0.split(separator: ",").map(String.init).sorted() } ?? []
                return ReadinessFacts.Failing(count: row[count], sampleIDs: samples)
            }
            let features = (try? JSONDecoder().decode([String].self, from: Data((row["policy_features"] as String).utf8))) ?? []
            let facts = ReadinessFacts(endpointCount: row["total"], notCheckedInRecently: failing("stale", "stale_ids"),
                                       unsupportedPlatform: failing("unsupported", "unsupported_ids"),
                                       outdatedAgent: failing("outdated", "outdated_ids"), policyFeaturesInUse: Set(features))
            result[row["organisation_id"]] = Readiness(facts: facts, criteria: criteria)
        }
        return result
    }

    /// Stores each organisation's checklist; returns the organisations whose ready/not-ready
    /// verdict changed (or was evaluated for the first time).
    static func store(_ db: Database, _ readiness: [String: Readiness], at instant: Date) throws -> [(organisation: String, ready: Bool)] {
        let previous = try Row.fetchAll(db, sql: """
            SELECT organisation_id, min(passed) FROM readiness_item WHERE organisation_id IN (SELECT organisation_id FROM temp.readiness_scope)
            GROUP BY organisation_id
            """).reduce(into: [String: Bool]()) { $0[$1[0]] = $1[1] }
        let upsert = try db.makeStatement(sql: """
            INSERT INTO readiness_item (organisation_id, item, passed, reason, evaluated_at) VALUES (?,?,?,?,?)
            ON CONFLICT (organisation_id, item) DO UPDATE SET passed = excluded.passed, reason = excluded.reason,
                evaluated_at = excluded.evaluated_at
            """)
        var changed: [(String, Bool)] = []
        for (organisation, checklist) in readiness.sorted(by: { $0.key < $1.key }) {
            for item in checklist.items {
                try upsert.execute(arguments: [organisation, item.name.rawValue, item.passed, item.reason.en, Instant.seconds(instant)])
            }
            if previous[organisation] != checklist.isReady { changed.append((organisation, checklist.isReady)) }
        }
        return changed
    }
}
