import Benchmark
import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore

/// A fleet of `organisations` × `perOrganisation` desktop endpoints, built with set-based SQL in
/// a fresh database file, with monthly releases and the clock started.
func makeFleet(organisations: Int, perOrganisation: Int) throws -> (Store, String) {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("rolloutd-bench-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    let path = directory.appendingPathComponent("fleet.sqlite").path
    let store = try Store(path: path)
    try store.write { db in
        try db.execute(sql: """
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99)
            INSERT INTO partner (id, name, release_management, cadence, defer_weeks, schedule_set_at)
            SELECT 'p' || i, 'Partner ' || i, 1, 'latest', 2, 0 FROM n;
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)
            INSERT INTO organisation (id, name, effective_cadence, effective_defer_weeks) SELECT 'o' || i, 'Org ' || i, 'latest', 2 FROM n;
            INSERT INTO organisation_partner (organisation_id, partner_id) SELECT id, 'p' || (CAST(substr(id, 2) AS INTEGER) % 100) FROM organisation;
            WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)
            INSERT INTO endpoint (id, organisation_id, platform, os_version, installed_version, installed_version_key, agent_version, last_check_in)
            SELECT 'e' || i, 'o' || (i / ?), CASE i % 3 WHEN 0 THEN 'windows' WHEN 1 THEN 'macos' ELSE 'linux' END, '10.0.22631',
                   '45.1.0', ?, '14.3.1', 1790000000 FROM n;
            """, arguments: [organisations, organisations * perOrganisation, perOrganisation, Version("45.1.0")!.sortKey])
        for month in 1...12 {
            let version = Version("45.\(month).0")!
            let date = Instant.parse(String(format: "2026-%02d-10T16:00:00Z", month))!
            try db.execute(sql: "INSERT INTO release (version, version_key, auto_date) VALUES (?, ?, ?)",
                           arguments: [version.description, version.sortKey, Instant.seconds(date)])
            for platform in ["windows", "macos", "linux"] {
                try db.execute(sql: "INSERT INTO release_build VALUES (?, ?, ?, 1, ?)",
                               arguments: [version.description, platform, "app-\(version)-\(platform)", String(repeating: "a", count: 64)])
            }
        }
    }
    try store.startClock(at: Instant.parse("2026-11-20T17:00:00Z")!)
    // The fleet was written in one transaction into the WAL; fold it into the database file
    // now, as the daemon's first checkpoint after a bulk load would, so the benchmarks measure
    // wakes rather than that one-off copy.
    try store.checkpoint()
    return (store, path)
}

let context = LoopSettings(Configuration()).rules

/// Built once, on first use (Swift globals are initialised lazily and once); each lives in its
/// own temporary directory for the whole run.
let millionEndpoints = Result { try makeFleet(organisations: 100_000, perOrganisation: 10) }
let hundredThousandEndpoints = Result { try makeFleet(organisations: 10_000, perOrganisation: 10) }

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(10), maxIterations: 1_000)

    // DMN-1: what the daemon runs at every poll — the next wake over every rule's deadlines —
    // on 1,000,000 endpoints and 100,000 organisations, against one plain SQL statement that
    // finds the earliest pending endpoint upgrade through the same index.
    Benchmark("nextWake, 1M endpoints") { benchmark in
        let fleet = try millionEndpoints.get()
        for _ in benchmark.scaledIterations {
            blackHole(try fleet.0.nextWake(rules: Rules.all, context: context))
        }
    }

    Benchmark("plain SQL: earliest endpoint deadline, 1M endpoints") { benchmark in
        let fleet = try millionEndpoints.get()
        for _ in benchmark.scaledIterations {
            blackHole(try fleet.0.read { db in
                try Int64.fetchOne(db, sql: "SELECT min(upgrade_at) FROM endpoint WHERE upgrade_at IS NOT NULL")
            })
        }
    }

    // A wake with nothing due (not a boundary): every rule looks and finds nothing; the wake is
    // logged and the cursor moves, in one transaction.
    Benchmark("wake with nothing due, 1M endpoints") { benchmark in
        let fleet = try millionEndpoints.get()
        var cursor = try fleet.0.processedThrough()!
        for _ in benchmark.scaledIterations {
            cursor = cursor.addingTimeInterval(1)
            blackHole(try fleet.0.process(Wake(at: cursor, reasons: [WakeReason(kind: "probe")]), rules: Rules.all,
                                          context: context, late: false))
        }
    }

    // CAD-2: a boundary wake that retargets 100,000 endpoints (10,000 organisations), with the
    // audit trail and the notifications, against one plain UPDATE that only sets the targets.
    Benchmark("boundary wake retargeting 100k endpoints", configuration: .init(maxDuration: .seconds(20), maxIterations: 10)) { benchmark in
        let fleet = try hundredThousandEndpoints.get()
        var boundary = context.calendar.nextBoundary(after: try fleet.0.processedThrough()!)
        for _ in benchmark.scaledIterations {
            benchmark.stopMeasurement()
            try fleet.0.write { db in try db.execute(sql: "UPDATE endpoint SET target_version = NULL, target_version_key = NULL") }
            benchmark.startMeasurement()
            blackHole(try fleet.0.process(Wake(at: boundary, reasons: [.boundary]), rules: Rules.all, context: context, late: false))
            boundary = context.calendar.nextBoundary(after: boundary)
        }
    }

    Benchmark("plain SQL: one UPDATE retargeting 100k endpoints", configuration: .init(maxDuration: .seconds(20), maxIterations: 10)) { benchmark in
        let fleet = try hundredThousandEndpoints.get()
        for _ in benchmark.scaledIterations {
            benchmark.stopMeasurement()
            try fleet.0.write { db in try db.execute(sql: "UPDATE endpoint SET target_version = NULL, target_version_key = NULL") }
            benchmark.startMeasurement()
            try fleet.0.write { db in
                try db.execute(sql: """
                    UPDATE endpoint SET target_version_key = (SELECT max(r.version_key) FROM release r JOIN release_build b ON b.version = r.version
                        WHERE b.platform = endpoint.platform AND r.auto_date + 14 * 86400 <= 1795000000)
                    """)
            }
        }
    }
}
