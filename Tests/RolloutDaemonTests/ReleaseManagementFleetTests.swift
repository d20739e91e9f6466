import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// Endpoint targets are decided set-based, a whole fleet in one wake (CAD-2, CAD-6, CAD-7), the
/// `update_available` notifications are never emitted twice (NOT-1), and an installed version
/// reported by a device is taken into account at the next wake.
@Suite struct ReleaseManagementFleetTests {
    static let organisations = 40
    static let usersPerOrganisation = 250
    static let installedCycle = ["46.1.0", "46.6.0", "46.8.0", "46.9.0", "46.10.0"]
    static let platforms = ["windows", "macos", "linux"]

    struct Expected {
        var desktop: [String: String] = [:]
        var mobile: [String] = []
        var updates = 0
    }

    /// 40 organisations × 250 users × 2 desktop endpoints (20,000), plus an iPhone for every
    /// tenth user; one user in 50 opted out. A quarter of the organisations are on slow +12w,
    /// a quarter on automatic (customer-set), the rest on the partner's latest +2w. The expected
    /// target of each endpoint is worked out here, from the same rules stated plainly.
    static func fleet() -> (ReleaseDocument, Expected) {
        var document = ReleaseDocument()
        document.partner("fleet-msp", schedule: ("latest", 2))
        document.release("46.6.0", "2026-06-09T15:00:00Z")
        document.release("46.7.0", "2026-07-14T15:00:00Z")
        document.release("46.8.0", "2026-08-11T15:00:00Z")
        document.release("46.9.0", "2026-09-08T15:00:00Z", platforms: ["windows", "macos"])
        // Effective on 2026-09-15 00:00:01Z, per schedule and platform.
        let effective: [String: [String: String]] = [
            "slow": ["windows": "46.6.0", "macos": "46.6.0", "linux": "46.6.0"],  // 06-09 + 12w = 09-01
            "automatic": ["windows": "46.9.0", "macos": "46.9.0", "linux": "46.8.0"],  // 46.9 has no linux build
            "latest": ["windows": "46.8.0", "macos": "46.8.0", "linux": "46.8.0"],  // 46.9 only on 09-22
        ]
        var expected = Expected()
        var index = 0
        for o in 0..<organisations {
            let org = "org-\(o)"
            let cadence: String
            switch o % 4 {
            case 0:
                cadence = "slow"
                document.organisation(org, partners: ["fleet-msp"], schedule: ("slow", 12, "partner"))
            case 1:
                cadence = "automatic"
                document.organisation(org, partners: ["fleet-msp"], schedule: ("automatic", 0, "customer"))
            default:
                cadence = "latest"
                document.organisation(org, partners: ["fleet-msp"])
            }
            for u in 0..<usersPerOrganisation {
                let user = "\(org)-u\(u)"
                let off = u % 50 == 7
                document.user(user, organisation: org, automaticUpgrades: off ? "off" : "inherit")
                for d in 0..<2 {
                    let id = "\(user)-d\(d)"
                    let platform = platforms[index % platforms.count]
                    let installed = installedCycle[(index / 3) % installedCycle.count]
                    index += 1
                    document.endpoint(id, organisation: org, user: user, platform: platform, installed: installed)
                    let candidate = effective[cadence]![platform]!
                    let target = !off && Version(candidate)! > Version(installed)! ? candidate : installed
                    expected.desktop[id] = target
                    if target != installed { expected.updates += 1 }
                }
                if u % 10 == 3 {
                    document.endpoint("\(user)-phone", organisation: org, user: user, platform: "ios", installed: "46.1.0")
                    expected.mobile.append("\(user)-phone")
                }
            }
        }
        return (document, expected)
    }

    @Test("20,000 desktop endpoints are retargeted in one wake; every target and the update_available count are right; NOT-1 on replays")
    func fleetInOneWake() async throws {
        let (document, expected) = Self.fleet()
        #expect(expected.desktop.count == 20_000)
        let scenario = try RMScenario(start: "2026-09-15T00:00:00Z", document)
        try await scenario.run(until: "2026-09-15T01:00:00Z")

        #expect(try scenario.wakes().map(\.at) == [at("2026-09-15T00:00:01Z")])
        let wake = try #require(scenario.recorder.wakes.first)
        #expect(wake.decisions["endpoint_retargeted"] == 20_000)
        #expect(wake.notifications == expected.updates)

        try Self.expectTargets(scenario, expected)
        // The same through the listing an operator sees.
        let listing = try scenario.store.list(.endpoints)
        let idColumn = try #require(listing.columns.firstIndex(of: "id"))
        let targetColumn = try #require(listing.columns.firstIndex(of: "target_version"))
        let listed = listing.rows.filter { row in
            guard case .string(let id) = row[idColumn], let version = expected.desktop[id] else { return false }
            return row[targetColumn] == .string(version)
        }
        #expect(listed.count == 20_000)

        #expect(try scenario.updateNotificationCount() == expected.updates)
        #expect(try scenario.count("""
            SELECT count(*) FROM notification n JOIN endpoint e ON e.id = n.endpoint_id
            WHERE n.kind = 'update_available' AND n.idempotency_key = 'update_available|endpoint:' || e.id || '|version:' || e.target_version
            """) == expected.updates)
        #expect(try scenario.count("SELECT count(DISTINCT idempotency_key) FROM notification")
            == scenario.count("SELECT count(*) FROM notification"))

        // NOT-1: the same range again, by a second loop whose clock starts over, does nothing.
        try await scenario.run(until: "2026-09-15T01:00:00Z", clockAt: "2026-09-15T00:00:00Z")
        #expect(try scenario.wakes().count == 1)
        #expect(try scenario.updateNotificationCount() == expected.updates)

        // The next boundary retargets and finds nothing to change: nothing new is emitted.
        try await scenario.run(until: "2026-09-15T15:00:00Z")
        #expect(try scenario.wake(at: "2026-09-15T15:00:00Z") != nil)
        #expect(try scenario.updateNotificationCount() == expected.updates)

        // Every target decided again from scratch (as after restoring a backup of the endpoints
        // without the outbox being rolled back): the same notifications are not emitted twice.
        try scenario.store.write { db in
            try db.execute(sql: "UPDATE endpoint SET target_version = NULL, target_version_key = NULL")
            try RetargetRequest.add(db, scope: "test", at: at("2026-09-15T15:00:00Z"))
        }
        try await scenario.run(until: "2026-09-15T16:00:00Z")
        let replay = try #require(scenario.recorder.wakes.last)
        #expect(replay.at == at("2026-09-15T15:00:01Z"))
        #expect(replay.decisions["endpoint_retargeted"] == 20_000)
        #expect(replay.notifications == 0)
        #expect(try scenario.updateNotificationCount() == expected.updates)
    }

    /// Every endpoint's recorded target is the one worked out in `fleet()`; mobile ones have none.
    static func expectTargets(_ scenario: RMScenario, _ expected: Expected) throws {
        let targets = try scenario.store.read { db in
            var result: [String: String?] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, target_version FROM endpoint") {
                result[row[0] as String] = row[1] as String?
            }
            return result
        }
        let wrong = expected.desktop.filter { targets[$0.key] != .some($0.value) }
        #expect(wrong.isEmpty, "\(wrong.count) wrong targets, e.g. \(wrong.prefix(5).map { "\($0.key): expected \($0.value), got \(String(describing: targets[$0.key]))" })")
        #expect(expected.mobile.allSatisfy { targets[$0] == .some(nil) })
    }

    @Test("retargets_per_wake = 1,000: a whole-fleet retarget, a release's move and a resume (OPS-1) continue over wakes a second apart and end where one unlimited wake ends, each endpoint and notice once")
    func fleetOverSeveralWakes() async throws {
        let (document, expected) = Self.fleet()
        var configuration = RolloutDaemon.Configuration()
        configuration.daemon.retargetsPerWake = 1_000
        let chunked = try RMScenario(start: "2026-09-15T00:00:00Z", document, configuration: configuration)
        try await chunked.run(until: "2026-09-15T01:00:00Z")

        let first = chunked.recorder.wakes
        #expect(first.map(\.at) == (1...20).map { at("2026-09-15T00:00:00Z").addingTimeInterval(Double($0)) })
        #expect(first.allSatisfy { $0.decisions["endpoint_retargeted"] == 1_000 })
        #expect(first.dropFirst().allSatisfy { $0.reasons.map(\.kind) == ["retarget_continued"] })
        #expect(first.map(\.notifications).reduce(0, +) == expected.updates)
        try Self.expectTargets(chunked, expected)
        #expect(try chunked.count("SELECT count(*) FROM decision WHERE rule = 'CAD-2' AND subject_kind = 'endpoint'") == 20_000)
        #expect(try chunked.count("SELECT count(DISTINCT subject_id) FROM decision WHERE rule = 'CAD-2' AND subject_kind = 'endpoint'") == 20_000)
        #expect(try chunked.updateNotificationCount() == expected.updates)
        #expect(try chunked.count("SELECT count(*) FROM retarget_request") == 0)

        // 46.9 becomes effective under latest +2w at the 09-22 boundary: only the changed groups
        // move, over that boundary and the wakes that continue it. Each outcome below is the
        // one of the same fleet run without a limit.
        let whole = try RMScenario(start: "2026-09-15T00:00:00Z", document)
        try await chunked.run(until: "2026-09-22T16:00:00Z")
        try await whole.run(until: "2026-09-22T16:00:00Z")
        let continued = chunked.recorder.wakes.filter { $0.at > at("2026-09-22T15:00:00Z") }
        #expect(!continued.isEmpty && continued.allSatisfy { $0.reasons.map(\.kind) == ["retarget_continued"] })
        #expect(try chunked.count("SELECT count(*) FROM retarget_request") == 0)
        try Self.expectSameOutcome(chunked, whole)

        // 46.10 becomes effective for the automatic organisations while release management is
        // paused (OPS-1), so nobody moves then; the resume retargets everything. That scope is
        // the resume wake's own, not a request, and must carry over to the wakes that continue.
        for scenario in [chunked, whole] {
            try scenario.store.write { db in
                try db.execute(sql: "INSERT INTO release (version, version_key, auto_date, critical) VALUES ('46.10.0', ?, ?, 0)",
                               arguments: [Version("46.10.0")!.sortKey, Instant.seconds(at("2026-09-23T15:00:00Z"))])
                for platform in Self.platforms {
                    try db.execute(sql: "INSERT INTO release_build VALUES ('46.10.0', ?, 'app', 1, ?)",
                                   arguments: [platform, String(repeating: "a", count: 64)])
                }
            }
            try scenario.store.pause(partner: "fleet-msp", organisation: nil, areas: [.releases], reason: "hold 46.10",
                                     actor: "operator", at: at("2026-09-23T00:00:00Z"))
            try await scenario.run(until: "2026-09-23T20:00:00Z")
            try scenario.store.resume(partner: "fleet-msp", organisation: nil, areas: [.releases], actor: "operator",
                                      at: at("2026-09-24T00:00:00Z"))
            try await scenario.run(until: "2026-09-24T01:00:00Z")
        }
        let resumed = chunked.recorder.wakes.filter { $0.at >= at("2026-09-24T00:00:00Z") }
        #expect(resumed.count > 1 && resumed.dropFirst().allSatisfy { $0.reasons.map(\.kind) == ["retarget_continued"] })
        #expect(try chunked.count("SELECT count(*) FROM retarget_request") == 0)
        try Self.expectSameOutcome(chunked, whole)
    }

    /// Two scenarios reached the same targets, decisions and update notices.
    static func expectSameOutcome(_ chunked: RMScenario, _ whole: RMScenario) throws {
        func outcome(_ scenario: RMScenario) throws -> (targets: [String: String], decisions: [String], notices: [String]) {
            try scenario.store.read { db in
                (try Row.fetchAll(db, sql: "SELECT id, coalesce(target_version, '-') FROM endpoint").reduce(into: [:]) { $0[$1[0]] = $1[1] },
                 try String.fetchAll(db, sql: """
                    SELECT subject_id || ' ' || coalesce(before, '-') || ' → ' || coalesce(after, '-') FROM decision
                    WHERE rule = 'CAD-2' AND subject_kind = 'endpoint' ORDER BY 1
                    """),
                 try String.fetchAll(db, sql: "SELECT idempotency_key FROM notification WHERE kind = 'update_available' ORDER BY 1"))
            }
        }
        let (chunkedOutcome, wholeOutcome) = (try outcome(chunked), try outcome(whole))
        #expect(chunkedOutcome.targets == wholeOutcome.targets)
        #expect(chunkedOutcome.decisions == wholeOutcome.decisions)
        #expect(chunkedOutcome.notices == wholeOutcome.notices)
        #expect(chunkedOutcome.decisions.count > 20_000)
    }

    // MARK: reported installed versions

    static func reportingWorld() throws -> RMScenario {
        var document = ReleaseDocument()
        document.partner("northwind")  // automatic
        document.organisation("contoso", partners: ["northwind"])
        document.user("u1", organisation: "contoso")
        for (id, platform) in [("e-win", "windows"), ("e-mac", "macos"), ("e-linux", "linux")] {
            document.endpoint(id, organisation: "contoso", user: "u1", platform: platform, installed: "46.1.0")
        }
        document.monthlyReleases()
        return try RMScenario(start: "2026-03-11T00:00:00Z", document)
    }

    @Test("reportInstalledVersion, then the next wake: the target is recomputed; reaching the target brings no further notification")
    func reportedVersions() async throws {
        let scenario = try Self.reportingWorld()
        try await scenario.run(until: "2026-03-11T01:00:00Z")
        for endpoint in ["e-win", "e-mac", "e-linux"] {
            #expect(try scenario.targetVersion(endpoint) == "46.3.0")
        }
        #expect(try scenario.updateNotificationCount() == 3)

        let reportedAt = at("2026-03-11T01:00:00Z")
        try scenario.store.reportInstalledVersion(endpoint: "e-win", version: Version("46.3.0")!, at: reportedAt)  // reached the target
        try scenario.store.reportInstalledVersion(endpoint: "e-mac", version: Version("46.2.0")!, at: reportedAt)  // half-way
        try scenario.store.reportInstalledVersion(endpoint: "e-linux", version: Version("46.5.0")!, at: reportedAt)  // ahead (manual)
        try await scenario.run(until: "2026-03-11T02:00:00Z")

        #expect(try scenario.wake(at: "2026-03-11T01:00:01Z")?.reasons == "retarget_requested")
        #expect(try scenario.target("e-win").version == "46.3.0")
        #expect(try scenario.target("e-mac").version == "46.3.0")
        // Ahead of everything effective: its target is what it runs, never lower (CAD-2).
        #expect(try scenario.target("e-linux").version == "46.5.0")
        #expect(try scenario.target("e-linux").setAt == at("2026-03-11T01:00:01Z"))
        #expect(try scenario.updateNotificationCount() == 3)
        #expect(try scenario.count("SELECT count(*) FROM decision WHERE rule = 'report'") == 3)
        let listed = try scenario.store.list(.endpoints)
        let installedColumn = try #require(listed.columns.firstIndex(of: "installed_version"))
        #expect(listed.rows.map { $0[installedColumn] } == [.string("46.5.0"), .string("46.2.0"), .string("46.3.0")])

        // The next release: a notification for those below it, none for the one already past it.
        try await scenario.run(until: "2026-04-15T00:00:00Z")
        #expect(try scenario.updateNotifications(endpoint: "e-win") == ["46.3.0", "46.4.0"])
        #expect(try scenario.updateNotifications(endpoint: "e-mac") == ["46.3.0", "46.4.0"])
        #expect(try scenario.updateNotifications(endpoint: "e-linux") == ["46.3.0"])
        #expect(try scenario.targetVersion("e-linux") == "46.5.0")
        try await scenario.run(until: "2026-05-13T00:00:00Z")
        #expect(try scenario.updateNotifications(endpoint: "e-linux") == ["46.3.0"], "46.5 is what it runs")
        #expect(try scenario.target("e-win").version == "46.5.0")
    }

    @Test("a version reported hours after the last wake is decided at a wake at or after the report, not back-dated and not marked late")
    func reportAfterTheLastWake() async throws {
        let scenario = try Self.reportingWorld()
        // The daemon is up and processed the 03-11 boundary; the cursor is there.
        try await scenario.run(until: "2026-03-11T15:00:00Z")
        #expect(try scenario.store.processedThrough() == at("2026-03-11T15:00:00Z"))
        // At 18:00Z a device reports; the daemon notices at its next poll, at 18:00Z.
        let reportedAt = at("2026-03-11T18:00:00Z")
        try scenario.store.reportInstalledVersion(endpoint: "e-linux", version: Version("46.5.0")!, at: reportedAt)
        try await scenario.run(until: "2026-03-11T18:05:00Z", clockAt: "2026-03-11T18:00:00Z")

        let target = try scenario.target("e-linux")
        #expect(target.version == "46.5.0")
        let setAt = try #require(target.setAt)
        #expect(setAt >= reportedAt, "the target was decided at \(iso(setAt)), before the report it follows (\(iso(reportedAt)))")
        let wake = try #require(scenario.recorder.wakes.last)
        #expect(!wake.late, "the daemon was up: a wake for a fresh report is no catch-up (NOT-3)")
        #expect(!scenario.recorder.all.contains { if case .catchUpStarted = $0 { true } else { false } })
    }

    @Test("a user turning automatic upgrades back on hours after the last wake: the update notification is due at or after the switch, not late")
    func switchAfterTheLastWake() async throws {
        var document = ReleaseDocument()
        document.partner("northwind")
        document.organisation("contoso", partners: ["northwind"])
        document.user("bob", organisation: "contoso", automaticUpgrades: "off")
        document.endpoint("bob-win", organisation: "contoso", user: "bob", platform: "windows", installed: "46.1.0")
        document.monthlyReleases()
        let scenario = try RMScenario(start: "2026-03-11T00:00:00Z", document)
        try await scenario.run(until: "2026-03-11T15:00:00Z")
        #expect(try scenario.targetVersion("bob-win") == "46.1.0")

        let switchedAt = at("2026-03-11T18:00:00Z")
        try scenario.store.setAutomaticUpgrades(user: "bob", to: .inherit, at: switchedAt)
        try await scenario.run(until: "2026-03-11T18:05:00Z", clockAt: "2026-03-11T18:00:00Z")

        #expect(try scenario.targetVersion("bob-win") == "46.3.0")
        let notice = try #require(try scenario.store.read { db in
            try Row.fetchOne(db, sql: "SELECT due_at, late FROM notification WHERE kind = 'update_available' AND endpoint_id = 'bob-win'")
        })
        let due = Instant.date(notice["due_at"] as Int64)
        #expect(due >= switchedAt, "update_available due \(iso(due)), before the switch that caused it (\(iso(switchedAt)))")
        #expect(notice["late"] as Bool == false, "marked late (NOT-3) although the daemon never was down")
    }
}
