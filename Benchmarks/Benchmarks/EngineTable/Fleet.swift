import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore

/// The benchmark fleet: 1,000,000 endpoints in 100,000 organisations of 100 partners, built with
/// set-based SQL once and cached by `generatorVersion` and the schema version (bump the former
/// whenever the fleet's shape changes, so a stale cache is never measured).
///
/// Shape, chosen so each case of the table touches a known share of it:
/// - partner `p0` (1 % of organisations) is on `latest +1w`, `p1`…`p10` (10 %) on `latest +2w`,
///   the rest on `slow +12w`; organisations inherit their partner's schedule (CAD-3.3);
/// - 87.1 % of endpoints are desktop, spread over every organisation; one user per two endpoints,
///   1 % of users with automatic upgrades off (CAD-6);
/// - 11.5 % of organisations are cloud already, their desktop endpoints pending an automatic
///   upgrade at `Fleet.trigger` (UPG-5), about 100,000 of them, each with its processed order;
/// - legacy organisations use a policy feature the cloud lacks, so a running programme holds them
///   (UPG-3, UPG-7) instead of ordering 88,500 upgrades at once.
enum Fleet {
    static let generatorVersion = "fleet-v2"
    static let partners = 100
    static let organisations = 100_000
    static let endpointsPerOrganisation = 10

    static let context = LoopSettings(Configuration()).rules
    static let calendar = context.calendar
    /// The cursor of the cached fleet: a Friday evening; every target is current at it.
    static let cursor = Instant.parse("2026-11-20T17:00:00Z")!
    /// The next boundaries: Monday 23, Tuesday 24, Wednesday 25 and Friday 27 November 2026
    /// (Thanksgiving, Thursday 26, is a holiday).
    static var boundaries: [Date] {
        var result: [Date] = []
        var at = cursor
        for _ in 0..<4 {
            at = calendar.nextBoundary(after: at)
            result.append(at)
        }
        return result
    }
    /// When the cloud organisations' endpoints are due to upgrade: between two boundaries.
    static var trigger: Date { boundaries[0].addingTimeInterval(3 * 3_600) }

    /// Builds the cached fleet at `path` (a new file): entities, releases 45.1…45.12, and one
    /// wake at `cursor` that sets every target (with its decisions and notifications).
    static func build(at path: String) throws {
        let store = try Store(path: path)
        let lastCheckIn = Instant.seconds(cursor) - 86_400
        let upgradeAt = Instant.seconds(trigger)
        try store.write { db in
            try db.execute(sql: """
                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)
                INSERT INTO partner (id, name, locale, release_management, cadence, defer_weeks, schedule_set_at)
                SELECT 'p' || i, 'Partner ' || i, CASE WHEN i % 10 = 9 THEN 'fr' ELSE 'en' END, 1,
                       CASE WHEN i <= 10 THEN 'latest' ELSE 'slow' END,
                       CASE WHEN i = 0 THEN 1 WHEN i <= 10 THEN 2 ELSE 12 END, 0 FROM n;

                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)
                INSERT INTO organisation (id, name, generation, policy_features, upgraded_at, upgrade_partner_id,
                                          effective_cadence, effective_defer_weeks)
                SELECT 'o' || i, 'Organisation ' || i,
                       CASE WHEN i % 1000 >= 885 THEN 'cloud' ELSE 'legacy' END,
                       CASE WHEN i % 1000 >= 885 THEN '[]' ELSE '["host_integrity"]' END,
                       CASE WHEN i % 1000 >= 885 THEN ? - 30 * 86400 END,
                       CASE WHEN i % 1000 >= 885 THEN 'p' || (i / 1000) END,
                       CASE WHEN i / 1000 <= 10 THEN 'latest' ELSE 'slow' END,
                       CASE WHEN i / 1000 = 0 THEN 1 WHEN i / 1000 <= 10 THEN 2 ELSE 12 END FROM n;
                INSERT INTO organisation_partner (organisation_id, partner_id)
                SELECT id, 'p' || (CAST(substr(id, 2) AS INTEGER) / 1000) FROM organisation;

                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? / 2 - 1)
                INSERT INTO user (id, organisation_id, name, automatic_upgrades)
                SELECT 'u' || i, 'o' || (i * 2 / ?), 'User ' || i, CASE WHEN i % 100 = 42 THEN 'off' ELSE 'inherit' END FROM n;

                WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1),
                shaped AS (SELECT i, CASE WHEN (i * 7919) % 1000 < 871
                                          THEN CASE i % 3 WHEN 0 THEN 'windows' WHEN 1 THEN 'macos' ELSE 'linux' END
                                          ELSE CASE i % 2 WHEN 0 THEN 'ios' ELSE 'android' END END AS platform,
                                     (i / ?) % 1000 >= 885 AS cloud FROM n)
                INSERT INTO endpoint (id, organisation_id, user_id, platform, os_version, installed_version, installed_version_key,
                                      agent_generation, agent_version, last_check_in, upgrade_state, upgrade_at, upgrade_state_at)
                SELECT 'e' || i, 'o' || (i / ?), 'u' || (i / 2), platform,
                       CASE platform WHEN 'windows' THEN '10.0.22631' WHEN 'macos' THEN '14.5' WHEN 'linux' THEN '6.1' ELSE '17.0' END,
                       '45.1.0', ?, 'legacy', '14.3.1', ?,
                       CASE WHEN cloud AND platform IN ('windows','macos','linux') THEN 'pending' END,
                       CASE WHEN cloud AND platform IN ('windows','macos','linux') THEN ? END,
                       CASE WHEN cloud AND platform IN ('windows','macos','linux') THEN ? - 30 * 86400 END
                FROM shaped;

                -- The cloud organisations came through processed distributor orders (UPG-5).
                INSERT INTO upgrade_order (organisation_id, partner_id, state, automatic, ordered_at, answer_due_at, answered_at, applied_at)
                SELECT id, upgrade_partner_id, 'processed', 1, upgraded_at - 86400, upgraded_at, upgraded_at, upgraded_at
                FROM organisation WHERE generation = 'cloud';
                """, arguments: [partners, organisations, Instant.seconds(cursor), organisations * endpointsPerOrganisation,
                                 endpointsPerOrganisation, organisations * endpointsPerOrganisation, endpointsPerOrganisation,
                                 endpointsPerOrganisation, Version("45.1.0")!.sortKey, lastCheckIn, upgradeAt, Instant.seconds(cursor)])
            for month in 1...12 {
                try addRelease(db, Version("45.\(month).0")!, automatic: Instant.parse(String(format: "2026-%02d-10T16:00:00Z", month))!,
                               critical: false)
            }
        }
        try store.startClock(at: cursor.addingTimeInterval(-1))
        // As `apply` does: a whole-document retarget request, so the wake sets every target and
        // records the effective releases it applied (retargeting is incremental afterwards). The
        // fleet is built, not measured: one wake without the per-wake limit.
        try store.write { db in try RetargetRequest.add(db, scope: "document", at: cursor) }
        let unlimited = RuleContext(calendar: context.calendar, policy: context.policy, retargetsPerWake: .max)
        _ = try store.process(Wake(at: cursor, reasons: [WakeReason(kind: "retarget_requested")]), rules: Rules.all,
                              context: unlimited, late: false)
        try store.checkpoint()
    }

    /// A release with builds for every desktop platform (CAD-11).
    static func addRelease(_ db: Database, _ version: Version, automatic: Date, critical: Bool) throws {
        try db.execute(sql: "INSERT INTO release (version, version_key, auto_date, critical) VALUES (?, ?, ?, ?)",
                       arguments: [version.description, version.sortKey, Instant.seconds(automatic), critical])
        for platform in ["windows", "macos", "linux"] {
            try db.execute(sql: "INSERT INTO release_build VALUES (?, ?, ?, 1, ?)",
                           arguments: [version.description, platform, "app-\(version)-\(platform)", String(repeating: "a", count: 64)])
        }
    }

    /// Every partner in a programme whose window opened and automatic-upgrade instant passed
    /// before the cursor (UPG-1…7): each boundary evaluates readiness of every legacy
    /// organisation. The cloud organisations' pending upgrades are moved out of the way, so the
    /// boundaries measure the programme alone.
    static func startProgrammes(_ db: Database) throws {
        let at = Instant.seconds(cursor)
        try db.execute(sql: """
            INSERT INTO programme (partner_id, announce_at, window_start_at, auto_upgrade_at, created_at,
                                   announced_at, window_opened_at, auto_upgrade_done_at)
            SELECT id, ? - 30 * 86400, ? - 20 * 86400, ? - 10 * 86400, ? - 40 * 86400, ? - 30 * 86400, ? - 20 * 86400, ? - 10 * 86400
            FROM partner;
            UPDATE endpoint SET upgrade_state = 'upgraded', upgrade_at = NULL WHERE upgrade_state = 'pending';
            """, arguments: [at, at, at, at, at, at, at])
    }

    /// Writes the fleet as a state document (docs/state-document.md), row by row.
    static func exportDocument(from path: String, to document: String) throws {
        let queue = try DatabaseQueue(path: path)
        guard FileManager.default.createFile(atPath: document, contents: nil) else { throw BenchError("cannot create \(document)") }
        let out = try FileHandle(forWritingTo: URL(fileURLWithPath: document))
        defer { try? out.close() }
        var buffer = Data()
        func emit(_ text: String) throws {
            buffer.append(contentsOf: text.utf8)
            if buffer.count > 1 << 20 {
                try out.write(contentsOf: buffer)
                buffer.removeAll(keepingCapacity: true)
            }
        }
        let sections: [(String, String)] = [
            ("partners", """
                SELECT json_object('id', id, 'name', name, 'locale', locale, 'release_management', json(CASE release_management WHEN 1 THEN 'true' ELSE 'false' END),
                                   'schedule', json_object('cadence', cadence, 'defer_weeks', defer_weeks)) FROM partner ORDER BY rowid
                """),
            ("organisations", """
                SELECT json_object('id', o.id, 'name', o.name, 'partners', json_array(op.partner_id), 'generation', o.generation,
                                   'policy_features', json(o.policy_features))
                FROM organisation o JOIN organisation_partner op ON op.organisation_id = o.id ORDER BY o.rowid
                """),
            ("users", "SELECT json_object('id', id, 'organisation', organisation_id, 'name', name, 'automatic_upgrades', automatic_upgrades) FROM user ORDER BY rowid"),
            ("endpoints", """
                SELECT json_object('id', id, 'organisation', organisation_id, 'user', user_id, 'platform', platform, 'os_version', os_version,
                                   'installed_version', installed_version, 'agent_generation', agent_generation, 'agent_version', agent_version,
                                   'last_check_in', strftime('%Y-%m-%dT%H:%M:%SZ', last_check_in, 'unixepoch'))
                FROM endpoint ORDER BY rowid
                """),
            ("releases", """
                SELECT json_object('version', r.version, 'automatic_date', strftime('%Y-%m-%dT%H:%M:%SZ', r.auto_date, 'unixepoch'),
                                   'critical', json(CASE r.critical WHEN 1 THEN 'true' ELSE 'false' END),
                                   'builds', (SELECT json_group_array(json_object('platform', b.platform, 'file', b.file, 'size', b.size, 'sha256', b.sha256))
                                              FROM release_build b WHERE b.version = r.version))
                FROM release r ORDER BY r.version_key
                """),
        ]
        try emit("{")
        try queue.read { db in
            for (index, (key, sql)) in sections.enumerated() {
                try emit("\(index == 0 ? "" : ",")\n\"\(key)\": [")
                let rows = try String.fetchCursor(db, sql: sql)
                var first = true
                while let row = try rows.next() {
                    try emit(first ? "\n" : ",\n")
                    try emit(row)
                    first = false
                }
                try emit("\n]")
            }
        }
        try emit("\n}\n")
        try out.write(contentsOf: buffer)
    }
}
