import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// Retargeting is incremental (issue #8): a wake retargets only the (schedule, platform) groups
/// whose effective release changed and the organisations whose schedule moved, and a wake where
/// nothing changed writes nothing. Release-effective wakes are planned only for the deferrals in use.
@Suite struct ReleaseManagementIncrementalTests {
    /// Two organisations on latest +1w (partner fast), one on slow +12w (partner slow); 46.2.0
    /// ships for Windows only, so at 46.2 + 1 week exactly the Windows endpoints on latest +1w move.
    static func scenario() throws -> RMScenario {
        var document = ReleaseDocument()
        document.partner("fast", schedule: ("latest", 1))
        document.partner("slow", schedule: ("slow", 12))
        for (organisation, partner, platforms) in [
            ("org-fast", "fast", ["windows", "windows", "windows", "linux", "linux", "linux"]),
            ("org-fast2", "fast", ["windows", "windows"]),
            ("org-slow", "slow", ["windows", "windows", "windows"]),
        ] {
            document.organisation(organisation, partners: [partner])
            document.user("\(organisation)-user", organisation: organisation)
            for (index, platform) in platforms.enumerated() {
                document.endpoint("\(organisation)-\(index)", organisation: organisation, user: "\(organisation)-user",
                                  platform: platform, installed: "45.12.0")
            }
        }
        document.release("46.1.0", "2026-01-13T16:00:00Z")
        document.release("46.2.0", "2026-02-10T16:00:00Z", platforms: ["windows"])
        return try RMScenario(start: "2026-02-01T00:00:00Z", document)
    }

    /// Every endpoint's target and when it was set.
    static func targets(_ scenario: RMScenario) throws -> [String: String] {
        try scenario.store.read { db in
            try Row.fetchAll(db, sql: "SELECT id, target_version, target_set_at FROM endpoint").reduce(into: [:]) { result, row in
                result[row[0]] = "\(row[1] as String? ?? "-") set \(row[2] as Int64? ?? 0)"
            }
        }
    }

    /// The endpoints a wake recorded a CAD-2 decision for.
    static func retargeted(_ scenario: RMScenario, at instant: String) throws -> [String] {
        try scenario.store.read { db in
            try String.fetchAll(db, sql: "SELECT subject_id FROM decision WHERE rule = 'CAD-2' AND wake_at = ? ORDER BY subject_id",
                                arguments: [Instant.seconds(at(instant))])
        }
    }

    @Test("a release effective under one schedule for one platform retargets exactly that group")
    func oneGroup() async throws {
        let scenario = try Self.scenario()
        try await scenario.run(until: "2026-02-17T00:00:00Z")
        #expect(try scenario.targetVersion("org-fast-0") == "46.1.0")
        #expect(try scenario.targetVersion("org-slow-0") == "45.12.0")
        let before = try Self.targets(scenario)

        try await scenario.run(until: "2026-02-17T17:00:00Z")
        let wake = try #require(scenario.recorder.wakes.last { $0.at == at("2026-02-17T16:00:00Z") })
        #expect(wake.decisions["endpoint_retargeted"] == 5)
        #expect(try Self.retargeted(scenario, at: "2026-02-17T16:00:00Z")
            == ["org-fast-0", "org-fast-1", "org-fast-2", "org-fast2-0", "org-fast2-1"])
        let after = try Self.targets(scenario)
        let moved = after.filter { before[$0.key] != $0.value }.keys.sorted()
        #expect(moved == ["org-fast-0", "org-fast-1", "org-fast-2", "org-fast2-0", "org-fast2-1"])
        #expect(try scenario.targetVersion("org-fast2-1") == "46.2.0")
        #expect(try scenario.targetVersion("org-fast-3") == "46.1.0", "46.2 has no Linux build")
        #expect(try scenario.updateNotifications(endpoint: "org-fast-0") == ["46.1.0", "46.2.0"])
    }

    @Test("a boundary where nothing changed writes no target, decision or notification")
    func nothingChanged() async throws {
        let scenario = try Self.scenario()
        try await scenario.run(until: "2026-02-18T00:00:00Z")
        let targets = try Self.targets(scenario)
        let decisions = try scenario.count("SELECT count(*) FROM decision")
        let notifications = try scenario.count("SELECT count(*) FROM notification")

        try await scenario.run(until: "2026-02-18T17:00:00Z")
        let wake = try #require(scenario.recorder.wakes.last)
        #expect(wake.at == at("2026-02-18T16:00:00Z"))
        #expect(wake.decisions.isEmpty)
        #expect(wake.notifications == 0)
        #expect(try Self.targets(scenario) == targets)
        #expect(try scenario.count("SELECT count(*) FROM decision") == decisions)
        #expect(try scenario.count("SELECT count(*) FROM notification") == notifications)
    }

    @Test("an organisation whose schedule moves is retargeted alone, at the wake that applies the change")
    func movedOrganisation() async throws {
        let scenario = try Self.scenario()
        try await scenario.run(until: "2026-02-18T00:00:00Z")
        try scenario.request(.setSchedule(cadence: .latest, deferralWeeks: 1), partner: "slow", organisation: "org-slow",
                             at: "2026-02-18T00:00:00Z")
        try await scenario.run(until: "2026-02-18T17:00:00Z")
        #expect(try scenario.effectiveSchedule("org-slow") == "latest +1w")
        #expect(try Self.retargeted(scenario, at: "2026-02-18T16:00:00Z") == ["org-slow-0", "org-slow-1", "org-slow-2"])
        #expect(try scenario.targetVersion("org-slow-2") == "46.2.0")
    }

    @Test("release-effective wakes are planned for the deferrals organisations use, not for all thirteen")
    func deferralsInUse() async throws {
        let scenario = try Self.scenario()
        try await scenario.run(until: "2026-03-04T00:00:00Z")
        // 46.2.0 + 1 week is latest +1w's; + 2 and + 3 weeks are nobody's.
        #expect(try scenario.wake(at: "2026-02-17T16:00:00Z")?.reasons == "boundary, release_effective")
        #expect(try scenario.wake(at: "2026-02-24T16:00:00Z")?.reasons == "boundary")
        #expect(try scenario.wake(at: "2026-03-03T16:00:00Z")?.reasons == "boundary")
    }
}
