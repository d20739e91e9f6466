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
    /// An organisation whose stored policy features cannot be read gets no checklist: it is in
    /// `unreadable`, with the reason, for the caller to report (DMN-7).
    static func evaluate(_ db: Database, organisations: String, arguments: StatementArguments = [],
                         at instant: Date, criteria: ReadinessCriteria, calendar: BusinessCalendar,
                         unreadable: inout [String: String]) throws -> [String: Readiness] {
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
        // One pass over the endpoints in scope, with SQL flagging each item: the counts and the
        // first Readiness.listedIDs failing ids per item are kept here. Ranking the ids in SQL
        // took three window sorts of every endpoint (4.8 s of a 12 s programme boundary at 1M).
        var tallies: [String: Tally] = [:]
        let flagged = try Row.fetchCursor(db, sql: """
            SELECT e.organisation_id, e.id,
                   (e.last_check_in IS NULL OR e.last_check_in < ?) AS stale,
                   EXISTS (SELECT 1 FROM temp.unsupported_os u WHERE u.platform = e.platform AND u.os_version IS e.os_version) AS unsupported,
                   EXISTS (SELECT 1 FROM temp.outdated_agent a WHERE a.agent_version IS e.agent_version) AS outdated
            FROM temp.readiness_scope s CROSS JOIN endpoint e ON e.organisation_id = s.organisation_id
            WHERE \(SQLCondition.desktop("e.platform"))
            """, arguments: [cutoff])
        while let row = try flagged.next() {
            tallies[row[0], default: Tally()].count(id: row[1], stale: row[2], unsupported: row[3], outdated: row[4])
        }

        var result: [String: Readiness] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT s.organisation_id, o.policy_features FROM temp.readiness_scope s CROSS JOIN organisation o ON o.id = s.organisation_id
            """) {
            let organisation: String = row[0]
            let stored: String = row[1]
            guard let features = try? JSONDecoder().decode([String].self, from: Data(stored.utf8)) else {
                unreadable[organisation] = "organisation \(organisation): policy_features \(stored) is not a JSON list of strings; fix the row or load the organisation again"
                continue
            }
            let tally = tallies[organisation] ?? Tally()
            let facts = ReadinessFacts(endpointCount: tally.total, notCheckedInRecently: tally.stale.failing,
                                       unsupportedPlatform: tally.unsupported.failing, outdatedAgent: tally.outdated.failing,
                                       policyFeaturesInUse: Set(features))
            result[organisation] = Readiness(facts: facts, criteria: criteria)
        }
        return result
    }

    /// One organisation's endpoints as the pass meets them.
    private struct Tally {
        /// One item's failing endpoints: how many, and the smallest ids (byte order, as SQLite
        /// orders them; ids are NFC, where String's order is the same), at most listedIDs.
        struct Item {
            var count = 0
            var smallest: [String] = []

            mutating func add(_ id: String) {
                count += 1
                guard smallest.count < Readiness.listedIDs || id < smallest[smallest.count - 1] else { return }
                let at = smallest.firstIndex { id < $0 } ?? smallest.count
                smallest.insert(id, at: at)
                if smallest.count > Readiness.listedIDs { smallest.removeLast() }
            }

            var failing: ReadinessFacts.Failing { ReadinessFacts.Failing(count: count, sampleIDs: smallest) }
        }

        var total = 0
        var stale = Item(), unsupported = Item(), outdated = Item()

        mutating func count(id: String, stale isStale: Bool, unsupported isUnsupported: Bool, outdated isOutdated: Bool) {
            total += 1
            if isStale { stale.add(id) }
            if isUnsupported { unsupported.add(id) }
            if isOutdated { outdated.add(id) }
        }
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
