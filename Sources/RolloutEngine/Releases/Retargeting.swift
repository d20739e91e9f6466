import Foundation
import GRDB
import RolloutCore
import RolloutStore

/// Recomputes every desktop endpoint's target version in a few set-based statements (CAD-2,
/// CAD-6, CAD-7): the core decides the newest effective release per (schedule, platform) — a
/// few dozen rows whatever the fleet's size — and SQL joins that to the endpoints.
enum Retargeting {
    struct Outcome {
        /// Endpoints whose recorded target changed at this wake.
        var retargeted = 0
        /// Of those, endpoints now targeted above what they run (an update is available).
        var updatesAvailable = 0
    }

    /// Every schedule a CAD-1 bound allows: (automatic, 0), (latest, 0…4), (slow, 0…12).
    static let allSchedules: [Schedule] = Cadence.allCases.flatMap { cadence in
        cadence.deferralWeeks.map { Schedule(stored: cadence, deferralWeeks: $0) }
    }

    /// Writes the new targets into `temp.retarget` (endpoint, old, new) and applies them; the
    /// caller records decisions and notifications from the same temp table before it is dropped.
    static func run(_ db: Database, at instant: Date, context: RuleContext) throws -> Outcome {
        let timeline = ReleaseTimeline(releases: try ReleaseFacts.releases(db), calendar: context.calendar)
        try db.execute(sql: """
            CREATE TEMP TABLE IF NOT EXISTS effective_release (
                cadence TEXT NOT NULL, defer_weeks INTEGER NOT NULL, platform TEXT NOT NULL,
                version TEXT NOT NULL, version_key TEXT NOT NULL,
                PRIMARY KEY (cadence, defer_weeks, platform)) WITHOUT ROWID;
            DELETE FROM temp.effective_release;
            CREATE TEMP TABLE IF NOT EXISTS retarget (
                endpoint_id TEXT PRIMARY KEY NOT NULL, organisation_id TEXT NOT NULL, user_id TEXT,
                old_version TEXT, new_version TEXT, new_key TEXT, installed_key TEXT NOT NULL) WITHOUT ROWID;
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
        // CAD-2: newest effective, never below installed. CAD-6: a user with automatic upgrades
        // off stays on what they run. CAD-7: mobile endpoints are never targeted (NULL). OPS-1:
        // organisations whose release management is paused keep their targets (the check costs
        // a subquery per endpoint, so it is added only while a pause is in force).
        let paused = try Pauses.anyInForce(db, area: .releases, at: instant)
            ? "WHERE NOT \(Pauses.organisationHeld(.releases, organisation: "e.organisation_id", at: "?2"))" : ""
        try db.execute(sql: """
            INSERT INTO temp.retarget (endpoint_id, organisation_id, user_id, old_version, new_version, new_key, installed_key)
            SELECT id, organisation_id, user_id, target_version, new_version, new_key, installed_version_key FROM (
                SELECT e.id, e.organisation_id, e.user_id, e.target_version, e.target_version_key, e.installed_version_key,
                    CASE WHEN \(SQLCondition.mobile("e.platform")) THEN NULL
                         WHEN u.automatic_upgrades = 'off' OR r.version_key IS NULL
                              OR r.version_key <= e.installed_version_key THEN e.installed_version
                         ELSE r.version END AS new_version,
                    CASE WHEN \(SQLCondition.mobile("e.platform")) THEN NULL
                         WHEN u.automatic_upgrades = 'off' OR r.version_key IS NULL
                              OR r.version_key <= e.installed_version_key THEN e.installed_version_key
                         ELSE r.version_key END AS new_key
                FROM endpoint e
                JOIN organisation o ON o.id = e.organisation_id
                LEFT JOIN user u ON u.id = e.user_id
                LEFT JOIN temp.effective_release r
                    ON r.cadence = o.effective_cadence AND r.defer_weeks = o.effective_defer_weeks AND r.platform = e.platform
                \(paused)
            ) WHERE new_key IS NOT target_version_key
            """, arguments: paused.isEmpty ? [] : [Instant.seconds(instant), Instant.seconds(instant)])
        try db.execute(sql: """
            UPDATE endpoint SET target_version = r.new_version, target_version_key = r.new_key, target_set_at = ?
            FROM temp.retarget r WHERE r.endpoint_id = endpoint.id
            """, arguments: [Instant.seconds(instant)])
        var outcome = Outcome()
        outcome.retargeted = try Int.fetchOne(db, sql: "SELECT count(*) FROM temp.retarget") ?? 0
        outcome.updatesAvailable = try Int.fetchOne(db, sql: "SELECT count(*) FROM temp.retarget WHERE new_key > installed_key") ?? 0
        return outcome
    }
}
