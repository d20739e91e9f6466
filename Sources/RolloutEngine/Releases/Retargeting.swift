import Foundation
import GRDB
import RolloutCore
import RolloutStore

/// Recomputes desktop endpoints' target versions in a few set-based statements (CAD-2, CAD-6,
/// CAD-7): the core decides the newest effective release per (schedule, platform) — a few dozen
/// rows whatever the fleet's size — and SQL joins that to the endpoints.
///
/// Incremental: the table of effective releases last applied is kept (`applied_effective_release`),
/// so a wake retargets only the (schedule, platform) groups whose effective release changed, the
/// organisations whose effective schedule moved, and the users and endpoints a request names. A
/// boundary where nothing changed reads a few dozen rows and writes nothing.
enum Retargeting {
    struct Outcome {
        /// Endpoints whose recorded target changed at this wake.
        var retargeted = 0
        /// False when more endpoints were due than the wake may stage (`RuleContext.retargetsPerWake`):
        /// the next wake continues, and the groups are not marked applied yet.
        var complete = true
    }

    /// What a wake must look at besides the groups whose effective release changed.
    struct Scope {
        /// Everything (a document was loaded: any input may have changed).
        var everything = false
        var organisations: Set<String> = []
        var users: Set<String> = []
        var endpoints: Set<String> = []

        var isEmpty: Bool { !everything && organisations.isEmpty && users.isEmpty && endpoints.isEmpty }

        /// The requests that ask the next wake for this scope again, with the changed groups
        /// (`continue`): what a wake that stopped at its limit leaves behind. A scope may come
        /// from the wake itself (a resume, a schedule that moved), not only from requests.
        var continuationRequests: [String] {
            guard !everything else { return ["document", Self.continuation] }
            return organisations.sorted().map { "organisation:\($0)" } + users.sorted().map { "user:\($0)" }
                + endpoints.sorted().map { "endpoint:\($0)" } + [Self.continuation]
        }

        /// The request a wake that stopped at its limit leaves for the next one: the changed
        /// groups again, nothing more (an older build reads it as everything, which is safe).
        static let continuation = "continue"

        /// The scope of the pending retarget requests (`document`, `organisation:o-1`, `user:u-1`,
        /// `endpoint:e-9`, `continue`);
        /// a scope this build does not know means everything.
        init(requests: [String]) {
            for request in requests where request != Self.continuation {
                if request.hasPrefix("organisation:") {
                    organisations.insert(String(request.dropFirst(13)))
                } else if request.hasPrefix("user:") {
                    users.insert(String(request.dropFirst(5)))
                } else if request.hasPrefix("endpoint:") {
                    endpoints.insert(String(request.dropFirst(9)))
                } else {
                    everything = true
                }
            }
        }
    }

    /// Every schedule a CAD-1 bound allows: (automatic, 0), (latest, 0…4), (slow, 0…12).
    static let allSchedules: [Schedule] = Cadence.allCases.flatMap { cadence in
        cadence.deferralWeeks.map { Schedule(stored: cadence, deferralWeeks: $0) }
    }

    /// Writes the new targets into `temp.retarget` (endpoint, old, new, and whether the new one is
    /// above what it runs) and applies them; the caller records decisions and notifications from
    /// the same temp table before it is dropped.
    ///
    /// The temp table is keyed by the endpoint's rowid: staging walks the fleet in rowid order,
    /// so its rows are appended rather than inserted all over a text-keyed tree, and the UPDATE
    /// seeks each endpoint by rowid instead of through the id index. It keeps no version key
    /// beyond the new one (`upgrade` is decided while staging): at 863,000 rows every column is
    /// tens of megabytes of temp file.
    ///
    /// A wake stages at most `context.retargetsPerWake` endpoints, so that a release that moves
    /// the whole fleet is applied in several wakes of bounded length rather than one that holds
    /// the write lock for as long as a million rows take; each keeps its decisions and
    /// notifications atomic (DMN-3). The endpoints already moved are skipped the next time, as
    /// their target no longer changes.
    static func run(_ db: Database, at instant: Date, context: RuleContext, scope: Scope) throws -> Outcome {
        let timeline = ReleaseTimeline(releases: try ReleaseFacts.releases(db), calendar: context.calendar)
        try db.execute(sql: """
            CREATE TEMP TABLE IF NOT EXISTS effective_release (
                cadence TEXT NOT NULL, defer_weeks INTEGER NOT NULL, platform TEXT NOT NULL,
                version TEXT NOT NULL, version_key TEXT NOT NULL,
                PRIMARY KEY (cadence, defer_weeks, platform)) WITHOUT ROWID;
            DELETE FROM temp.effective_release;
            CREATE TEMP TABLE IF NOT EXISTS changed_group (
                cadence TEXT NOT NULL, defer_weeks INTEGER NOT NULL, platform TEXT NOT NULL,
                PRIMARY KEY (cadence, defer_weeks, platform)) WITHOUT ROWID;
            DELETE FROM temp.changed_group;
            CREATE TEMP TABLE IF NOT EXISTS retarget (
                endpoint_rowid INTEGER PRIMARY KEY, endpoint_id TEXT NOT NULL, organisation_id TEXT NOT NULL, user_id TEXT,
                old_version TEXT, new_version TEXT, new_key TEXT, upgrade INTEGER NOT NULL);
            DELETE FROM temp.retarget;
            """)
        let insert = try db.makeStatement(sql: "INSERT INTO temp.effective_release VALUES (?,?,?,?,?)")
        for schedule in allSchedules {
            for platform in Platform.allCases where platform.isDesktop {
                if let release = timeline.newestEffective(at: instant, under: schedule, for: platform) {
                    try insert.execute(arguments: [schedule.cadence.rawValue, schedule.deferralWeeks, platform.rawValue,
                                                   release.version.description, release.version.sortKey])
                }
            }
        }
        // The groups whose effective release is not the one last applied (or no longer exists).
        // OPS-1: organisations whose release management is paused keep their targets (the check
        // costs a subquery per endpoint, so it is added only while a pause is in force).
        let held = try Pauses.anyInForce(db, area: .releases, at: instant)
            ? "NOT \(Pauses.organisationHeld(.releases, organisation: "e.organisation_id", at: "\(Instant.seconds(instant))"))" : nil
        try db.execute(sql: """
            INSERT INTO temp.changed_group
            SELECT cadence, defer_weeks, platform FROM temp.effective_release t
            WHERE NOT EXISTS (SELECT 1 FROM applied_effective_release a WHERE a.cadence = t.cadence AND a.defer_weeks = t.defer_weeks
                                AND a.platform = t.platform AND a.version_key = t.version_key)
            UNION
            SELECT cadence, defer_weeks, platform FROM applied_effective_release a
            WHERE NOT EXISTS (SELECT 1 FROM temp.effective_release t WHERE t.cadence = a.cadence AND t.defer_weeks = a.defer_weeks
                                AND t.platform = a.platform);
            """)

        var capacity = Capacity(left: context.retargetsPerWake, held: held)
        if scope.everything {
            try stage(db, from: "endpoint e \(withOrganisation)", capacity: &capacity)
        } else {
            try stageChangedGroups(db, capacity: &capacity)
            if !scope.organisations.isEmpty {
                try stage(db, ids: scope.organisations, from: "temp.scope_id s CROSS JOIN endpoint e ON e.organisation_id = s.id \(withOrganisation)",
                          capacity: &capacity)
            }
            if !scope.users.isEmpty {
                try stage(db, ids: scope.users, from: "temp.scope_id s CROSS JOIN endpoint e ON e.user_id = s.id \(withOrganisation)", capacity: &capacity)
            }
            if !scope.endpoints.isEmpty {
                try stage(db, ids: scope.endpoints, from: "temp.scope_id s CROSS JOIN endpoint e ON e.id = s.id \(withOrganisation)", capacity: &capacity)
            }
        }
        // `+r.endpoint_rowid` keeps SQLite from scanning the million endpoints to probe the
        // staged ones (its plan for a temp table it has no statistics of): it walks the staged
        // rows and seeks each endpoint, so a boundary that staged nothing reads nothing.
        try db.execute(sql: """
            UPDATE endpoint SET target_version = r.new_version, target_version_key = r.new_key, target_set_at = ?
            FROM temp.retarget r WHERE endpoint.rowid = +r.endpoint_rowid
            """, arguments: [Instant.seconds(instant)])
        let outcome = Outcome(retargeted: capacity.staged, complete: !capacity.filled)
        if outcome.complete {
            try db.execute(sql: """
                DELETE FROM applied_effective_release;
                INSERT INTO applied_effective_release (cadence, defer_weeks, platform, version_key)
                SELECT cadence, defer_weeks, platform, version_key FROM temp.effective_release;
                """)
        }
        return outcome
    }

    /// The endpoints of the changed groups: through the organisations on each changed schedule
    /// (index organisation_by_effective_schedule) when they are a few; by one pass over the fleet
    /// when they are many (a critical release moves every group).
    private static func stageChangedGroups(_ db: Database, capacity: inout Capacity) throws {
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM temp.changed_group)") == true else { return }
        let organisations = try Int.fetchOne(db, sql: "SELECT count(*) FROM organisation") ?? 0
        let inChangedGroups = try Int.fetchOne(db, sql: """
            SELECT count(*) FROM (SELECT DISTINCT cadence, defer_weeks FROM temp.changed_group) g
            CROSS JOIN organisation o ON o.effective_defer_weeks = g.defer_weeks AND o.effective_cadence = g.cadence
            """) ?? 0
        if inChangedGroups * 4 > organisations {
            try stage(db, from: """
                endpoint e CROSS JOIN organisation o ON o.id = e.organisation_id
                CROSS JOIN temp.changed_group g ON g.cadence = o.effective_cadence AND g.defer_weeks = o.effective_defer_weeks AND g.platform = e.platform
                """, capacity: &capacity)
        } else {
            try stage(db, from: """
                temp.changed_group g
                CROSS JOIN organisation o ON o.effective_defer_weeks = g.defer_weeks AND o.effective_cadence = g.cadence
                CROSS JOIN endpoint e ON e.organisation_id = o.id AND e.platform = g.platform
                """, capacity: &capacity)
        }
    }

    /// Stages the endpoints of `ids` (organisations, users or endpoints, as `from` joins them).
    private static func stage(_ db: Database, ids: Set<String>, from: String, capacity: inout Capacity) throws {
        try db.execute(sql: """
            CREATE TEMP TABLE IF NOT EXISTS scope_id (id TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
            DELETE FROM temp.scope_id;
            """)
        let insert = try db.makeStatement(sql: "INSERT OR IGNORE INTO temp.scope_id VALUES (?)")
        for id in ids { try insert.execute(arguments: [id]) }
        try stage(db, from: from, capacity: &capacity)
    }

    private static let withOrganisation = "CROSS JOIN organisation o ON o.id = e.organisation_id"

    /// How many more endpoints this wake may stage, whether some were left behind, and the OPS-1
    /// condition that leaves paused organisations out (nil when no pause is in force).
    private struct Capacity {
        var left: Int
        var filled = false
        var staged = 0
        let held: String?
    }

    /// Adds to `temp.retarget` the endpoints `from` yields (as `e`, with its organisation as `o`)
    /// whose target changes and that are not staged yet, as many as `capacity` has left.
    /// CAD-2: newest effective, never below installed. CAD-6: a user with automatic upgrades off
    /// stays on what they run. CAD-7: mobile endpoints are never targeted (NULL).
    private static func stage(_ db: Database, from: String, capacity: inout Capacity) throws {
        // An endpoint an earlier stage of this wake took is left out, so every row the SELECT
        // yields is added, and the count added says whether more were due than fit.
        let staged = capacity.staged > 0 ? "NOT EXISTS (SELECT 1 FROM temp.retarget t WHERE t.endpoint_rowid = e.rowid)" : nil
        let conditions = [capacity.held, staged].compactMap { $0 }
        try db.execute(sql: """
            INSERT INTO temp.retarget (endpoint_rowid, endpoint_id, organisation_id, user_id, old_version, new_version, new_key, upgrade)
            SELECT endpoint_rowid, id, organisation_id, user_id, target_version, new_version, new_key,
                   coalesce(new_key > installed_version_key, 0) FROM (
                SELECT e.rowid AS endpoint_rowid, e.id, e.organisation_id, e.user_id, e.target_version, e.target_version_key, e.installed_version_key,
                    CASE WHEN \(SQLCondition.mobile("e.platform")) THEN NULL
                         WHEN u.automatic_upgrades = 'off' OR r.version_key IS NULL
                              OR r.version_key <= e.installed_version_key THEN e.installed_version
                         ELSE r.version END AS new_version,
                    CASE WHEN \(SQLCondition.mobile("e.platform")) THEN NULL
                         WHEN u.automatic_upgrades = 'off' OR r.version_key IS NULL
                              OR r.version_key <= e.installed_version_key THEN e.installed_version_key
                         ELSE r.version_key END AS new_key
                FROM \(from)
                LEFT JOIN user u ON u.id = e.user_id
                LEFT JOIN temp.effective_release r
                    ON r.cadence = o.effective_cadence AND r.defer_weeks = o.effective_defer_weeks AND r.platform = e.platform
                \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
            ) WHERE new_key IS NOT target_version_key
            LIMIT \(capacity.left == .max ? -1 : capacity.left + 1)
            """)
        // One more than fits is staged to learn whether any is left behind; it is given back,
        // and the next wake takes it. So a wake continues only when there is more to do.
        var added = db.changesCount
        if added > capacity.left {
            try db.execute(sql: "DELETE FROM temp.retarget WHERE endpoint_rowid = ?", arguments: [db.lastInsertedRowID])
            added -= 1
            capacity.filled = true
        }
        capacity.staged += added
        capacity.left -= added
    }
}
