import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// CAD-9, both cases of the seed's table, over several monthly releases (46.7 not critical here,
/// so only the schedules decide). The changes are requested Wednesday 2026-05-20 after the
/// boundary and applied Thursday 2026-05-21 at 15:00Z (CAD-8).
@Suite struct ReleaseManagementSpeedTests {
    /// fastco is on slow +12w (org-level, set by the partner) and switches to automatic;
    /// slowco is on automatic (the partner's default) and switches to slow +12w.
    static func world() throws -> RMScenario {
        var document = ReleaseDocument()
        document.partner("northwind")
        document.organisation("fastco", partners: ["northwind"], schedule: ("slow", 12, "partner"))
        document.organisation("slowco", partners: ["northwind"])
        document.user("fast-u", organisation: "fastco")
        document.user("slow-u", organisation: "slowco")
        document.endpoint("fast-behind", organisation: "fastco", user: "fast-u", platform: "windows", installed: "46.1.0")
        document.endpoint("fast-ahead", organisation: "fastco", user: "fast-u", platform: "macos", installed: "46.5.0")
        document.endpoint("slow-current", organisation: "slowco", user: "slow-u", platform: "windows", installed: "46.5.0")
        document.endpoint("slow-behind", organisation: "slowco", user: "slow-u", platform: "linux", installed: "46.1.0")
        document.monthlyReleases(withCritical: false)
        return try RMScenario(start: "2026-05-20T00:00:00Z", document)
    }

    static let requested = "2026-05-20T16:00:00Z"
    static let applied = "2026-05-21T15:00:00Z"

    static func switched() async throws -> RMScenario {
        let scenario = try world()
        try await scenario.run(until: requested)
        // Before: slow +12w on 05-20 gives 46.2 (02-10 + 12w = 05-05); automatic gives 46.5 (05-12).
        #expect(try scenario.targetVersion("fast-behind") == "46.2.0")
        #expect(try scenario.targetVersion("fast-ahead") == "46.5.0")
        #expect(try scenario.targetVersion("slow-current") == "46.5.0")
        #expect(try scenario.targetVersion("slow-behind") == "46.5.0")
        let faster = try scenario.request(.setSchedule(cadence: .automatic), partner: "northwind", organisation: "fastco",
                                          at: requested)
        let slower = try scenario.request(.setSchedule(cadence: .slow, deferralWeeks: 12), partner: "northwind",
                                          organisation: "slowco", at: requested)
        #expect(faster.applyBy == at(applied) && slower.applyBy == at(applied))
        return scenario
    }

    @Test("CAD-9 faster, with a newer release already effective under it: moves at the apply instant")
    func fasterWithNewerRelease() async throws {
        let scenario = try await Self.switched()
        try await scenario.run(until: "2026-05-21T14:59:59Z")
        #expect(try scenario.targetVersion("fast-behind") == "46.2.0")
        try await scenario.run(until: Self.applied)
        let target = try scenario.target("fast-behind")
        #expect(target.version == "46.5.0")
        #expect(target.setAt == at(Self.applied))
        #expect(try scenario.updateNotifications(endpoint: "fast-behind") == ["46.2.0", "46.5.0"])
    }

    @Test("CAD-9 faster, with nothing newer than what it runs: waits for the next release under the faster schedule (46.6, 06-09)")
    func fasterWithoutNewerRelease() async throws {
        let scenario = try await Self.switched()
        try await scenario.run(until: "2026-06-09T14:59:59Z")
        #expect(try scenario.effectiveSchedule("fastco") == "automatic +0w")
        #expect(try scenario.targetHistory("fast-ahead").map(\.version) == ["46.5.0"])
        #expect(try scenario.updateNotifications(endpoint: "fast-ahead").isEmpty)
        try await scenario.run(until: "2026-06-09T15:00:00Z")
        let target = try scenario.target("fast-ahead")
        #expect(target.version == "46.6.0")
        #expect(target.setAt == at("2026-06-09T15:00:00Z"))
        #expect(try scenario.updateNotifications(endpoint: "fast-ahead") == ["46.6.0"])
    }

    @Test("CAD-9 slower: stays on what it runs (46.5) until a newer release is effective under slow +12w (46.6 on 09-01)")
    func slower() async throws {
        let scenario = try await Self.switched()
        try await scenario.run(until: "2026-08-31T23:59:59Z")
        #expect(try scenario.effectiveSchedule("slowco") == "slow +12w")
        #expect(try scenario.targetHistory("slow-current").map(\.version) == ["46.5.0"])
        #expect(try scenario.targetVersion("slow-current") == "46.5.0")
        #expect(try scenario.updateNotifications(endpoint: "slow-current").isEmpty)

        try await scenario.run(until: "2026-09-02T00:00:00Z")
        let target = try scenario.target("slow-current")
        #expect(target.version == "46.6.0")
        #expect(target.setAt == at("2026-09-01T15:00:00Z"))
        #expect(try scenario.updateNotifications(endpoint: "slow-current") == ["46.6.0"])

        // An endpoint that never installed anything follows CAD-2 under the slower schedule,
        // one monthly release at a time, each 12 weeks after its automatic date at 08:00 PDT.
        let history = try scenario.targetHistory("slow-behind")
        #expect(history.map(\.version) == ["46.5.0", "46.2.0", "46.3.0", "46.4.0", "46.5.0", "46.6.0"])
        #expect(history.map(\.at) == [
            "2026-05-20T00:00:01Z", Self.applied, "2026-06-02T15:00:00Z", "2026-07-07T15:00:00Z", "2026-08-04T15:00:00Z",
            "2026-09-01T15:00:00Z",
        ].map(at))
    }
}
