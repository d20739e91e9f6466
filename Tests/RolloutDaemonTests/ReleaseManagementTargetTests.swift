import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// CAD-2, CAD-6 and CAD-7 through the daemon's loop: when targets move, to what, and what they
/// never do (downgrade, target a mobile device, override a user who opted out).
@Suite struct ReleaseManagementTargetTests {
    /// northwind gives its organisations latest +2w. contoso inherits it; fabrikam has an org-level
    /// slow +12w set by its partner.
    static func world(start: String) throws -> RMScenario {
        var document = ReleaseDocument()
        document.partner("northwind", schedule: ("latest", 2))
        document.organisation("contoso", partners: ["northwind"])
        document.organisation("fabrikam", partners: ["northwind"], schedule: ("slow", 12, "partner"))
        document.user("contoso-u1", organisation: "contoso")
        document.endpoint("contoso-win", organisation: "contoso", user: "contoso-u1", platform: "windows", installed: "46.1.0")
        document.endpoint("contoso-mac", organisation: "contoso", user: "contoso-u1", platform: "macos", installed: "46.8.0")
        document.endpoint("contoso-linux", organisation: "contoso", user: "contoso-u1", platform: "linux", installed: "46.1.0")
        // Runs a build newer than anything effective (a manual or beta install): never downgraded.
        document.endpoint("contoso-ahead", organisation: "contoso", user: "contoso-u1", platform: "windows", installed: "46.11.0")
        document.user("fabrikam-u1", organisation: "fabrikam")
        document.endpoint("fabrikam-win", organisation: "fabrikam", user: "fabrikam-u1", platform: "windows", installed: "46.1.0")
        document.monthlyReleases()
        return try RMScenario(start: start, document)
    }

    @Test("CAD-2: under latest +2w, 46.10 (2026-10-20 08:00 PDT) becomes the target at 2026-11-03 08:00 PST = 16:00Z, not 15:00Z")
    func latestTwoWeeksAcrossDST() async throws {
        let scenario = try Self.world(start: "2026-10-30T00:00:00Z")
        try await scenario.run(until: "2026-11-03T15:30:00Z")
        #expect(try scenario.targetVersion("contoso-win") == "46.9.0")
        #expect(try scenario.wake(at: "2026-11-03T15:00:00Z") == nil, "no wake at 14 × 24 elapsed hours")

        try await scenario.run(until: "2026-11-03T16:00:00Z")
        let win = try scenario.target("contoso-win")
        #expect(win.version == "46.10.0")
        #expect(win.setAt == at("2026-11-03T16:00:00Z"))
        #expect(try scenario.targetHistory("contoso-win").map(\.at).last == at("2026-11-03T16:00:00Z"))
        #expect(try scenario.wake(at: "2026-11-03T16:00:00Z")?.reasons.contains("release_effective") == true)

        let explanation = try scenario.explain("contoso", endpoint: "contoso-win", at: "2026-11-03T16:00:00Z")
        #expect(explanation.cadence == "latest" && explanation.deferWeeks == 2)
        #expect(explanation.endpoint("contoso-win")?.releaseAutomaticDate == at("2026-10-20T15:00:00Z"))
        #expect(explanation.endpoint("contoso-win")?.releaseEffectiveAt == at("2026-11-03T16:00:00Z"))
        #expect(try scenario.updateNotifications(endpoint: "contoso-win") == ["46.9.0", "46.10.0"])
    }

    @Test("CAD-2: an endpoint running newer than the effective release keeps its own version, with no update notification")
    func noDowngrade() async throws {
        let scenario = try Self.world(start: "2026-10-30T00:00:00Z")
        try await scenario.run(until: "2026-11-25T00:00:00Z")
        // Effective under latest +2w on 11-24 16:00Z: 46.11 (11-10 + 2w). The endpoint ran 46.11 all along.
        #expect(try scenario.targetVersion("contoso-ahead") == "46.11.0")
        #expect(try scenario.targetHistory("contoso-ahead").map(\.version) == ["46.11.0"])
        #expect(try scenario.updateNotifications(endpoint: "contoso-ahead").isEmpty)
        // Before 46.10 was effective the macOS endpoint already ran 46.8 < 46.9: it targets 46.9, then 46.10, then 46.11.
        #expect(try scenario.targetHistory("contoso-mac").map(\.version) == ["46.9.0", "46.10.0", "46.11.0"])
        #expect(try scenario.count("SELECT count(*) FROM endpoint WHERE target_version_key < installed_version_key") == 0)
    }

    @Test("CAD-2: a platform without a build is skipped — linux stays on 46.9 while windows moves to 46.10, then takes 46.11")
    func platformWithoutBuildSkipped() async throws {
        let scenario = try Self.world(start: "2026-10-30T00:00:00Z")
        try await scenario.run(until: "2026-11-04T00:00:00Z")
        #expect(try scenario.targetVersion("contoso-win") == "46.10.0")
        #expect(try scenario.targetVersion("contoso-linux") == "46.9.0")
        try await scenario.run(until: "2026-11-25T00:00:00Z")
        let linux = try scenario.target("contoso-linux")
        #expect(linux.version == "46.11.0")
        #expect(linux.setAt == at("2026-11-24T16:00:00Z"))
        #expect(try scenario.targetHistory("contoso-linux").map(\.version) == ["46.9.0", "46.11.0"])
        #expect(try scenario.updateNotifications(endpoint: "contoso-linux") == ["46.9.0", "46.11.0"])
    }

    @Test("CAD-2: the critical 46.7 is effective at its automatic date (2026-07-14 15:00Z) under slow +12w")
    func criticalReleaseUnderSlow() async throws {
        let scenario = try Self.world(start: "2026-07-01T00:00:00Z")
        try await scenario.run(until: "2026-07-14T14:59:59Z")
        // slow +12w on 07-14: 46.4 (04-14 + 12w = 07-07).
        #expect(try scenario.targetVersion("fabrikam-win") == "46.4.0")
        try await scenario.run(until: "2026-07-14T15:00:00Z")
        let target = try scenario.target("fabrikam-win")
        #expect(target.version == "46.7.0")
        #expect(target.setAt == at("2026-07-14T15:00:00Z"))
        let explanation = try scenario.explain("fabrikam", endpoint: "fabrikam-win", at: "2026-07-14T15:00:00Z")
        #expect(explanation.cadence == "slow" && explanation.deferWeeks == 12)
        #expect(explanation.endpoint("fabrikam-win")?.critical == true)
        #expect(explanation.endpoint("fabrikam-win")?.releaseEffectiveAt == at("2026-07-14T15:00:00Z"))
        // Later non-critical releases still wait their 12 weeks: 46.5 and 46.6 never become targets
        // (older than 46.7); 46.8 does on 11-03 (08-11 + 12w), at 08:00 PST.
        try await scenario.run(until: "2026-11-04T00:00:00Z")
        #expect(try scenario.targetHistory("fabrikam-win").filter { $0.at >= at("2026-07-14T15:00:00Z") }.map(\.version)
            == ["46.7.0", "46.8.0"])
        #expect(try scenario.target("fabrikam-win").setAt == at("2026-11-03T16:00:00Z"))
    }

    @Test("CAD-2: a release dated on Veterans Day (Tuesday 2025-11-11) is targeted at 08:00 PST that day, with no boundary")
    func releaseOnHoliday() async throws {
        var document = ReleaseDocument()
        document.partner("northwind")
        document.organisation("contoso", partners: ["northwind"])
        document.user("u1", organisation: "contoso")
        document.endpoint("e1", organisation: "contoso", user: "u1", platform: "windows", installed: "45.9.0")
        document.monthlyReleases()
        let scenario = try RMScenario(start: "2025-11-10T20:00:00Z", document)
        try await scenario.run(until: "2025-11-11T17:00:00Z")
        let target = try scenario.target("e1")
        #expect(target.version == "45.11.0")
        #expect(target.setAt == at("2025-11-11T16:00:00Z"))
        let wake = try #require(try scenario.wake(at: "2025-11-11T16:00:00Z"))
        #expect(wake.reasons.contains("release_effective"))
        #expect(!wake.reasons.contains("boundary"), "11-11 is a holiday: no business-day boundary")
        #expect(try scenario.updateNotifications(endpoint: "e1") == ["45.10.0", "45.11.0"])
    }

    // MARK: CAD-6, CAD-7

    static func usersWorld() throws -> RMScenario {
        var document = ReleaseDocument()
        document.partner("northwind")  // release management on, no partner schedule: automatic
        document.organisation("contoso", partners: ["northwind"])
        document.user("alice", organisation: "contoso")
        document.user("bob", organisation: "contoso", automaticUpgrades: "off")
        document.endpoint("alice-win", organisation: "contoso", user: "alice", platform: "windows", installed: "46.1.0")
        document.endpoint("alice-ios", organisation: "contoso", user: "alice", platform: "ios", installed: "46.1.0")
        document.endpoint("alice-android", organisation: "contoso", user: "alice", platform: "android", installed: "46.1.0")
        document.endpoint("bob-win", organisation: "contoso", user: "bob", platform: "windows", installed: "46.1.0")
        document.endpoint("bob-mac", organisation: "contoso", user: "bob", platform: "macos", installed: "46.5.0")
        document.endpoint("kiosk", organisation: "contoso", user: nil, platform: "linux", installed: "46.1.0")
        document.monthlyReleases()
        return try RMScenario(start: "2026-09-15T00:00:00Z", document)
    }

    @Test("CAD-6: a user with automatic upgrades off stays on installed versions; back to inherit → retargeted at the next wake")
    func userOptedOut() async throws {
        let scenario = try Self.usersWorld()
        try await scenario.run(until: "2026-09-15T01:00:00Z")
        #expect(try scenario.targetVersion("alice-win") == "46.9.0")
        #expect(try scenario.targetVersion("kiosk") == "46.9.0")
        #expect(try scenario.targetVersion("bob-win") == "46.1.0")
        #expect(try scenario.targetVersion("bob-mac") == "46.5.0")
        #expect(try scenario.updateNotifications(endpoint: "bob-win").isEmpty)
        let explanation = try scenario.explain("contoso", user: "bob", at: "2026-09-15T01:00:00Z")
        #expect(explanation.endpoints.map(\.decision) == ["user_opted_out", "user_opted_out"])

        // Still off across a new release.
        try await scenario.run(until: "2026-10-21T00:00:00Z")
        #expect(try scenario.targetVersion("alice-win") == "46.10.0")
        #expect(try scenario.targetVersion("bob-win") == "46.1.0")

        try scenario.store.setAutomaticUpgrades(user: "bob", to: .inherit, at: at("2026-10-21T00:00:00Z"))
        try await scenario.run(until: "2026-10-21T01:00:00Z")
        let win = try scenario.target("bob-win")
        #expect(win.version == "46.10.0")
        #expect(win.setAt == at("2026-10-21T00:00:01Z"))
        #expect(try scenario.target("bob-mac").version == "46.10.0")
        #expect(try scenario.wake(at: "2026-10-21T00:00:01Z")?.reasons == "retarget_requested")
        #expect(try scenario.updateNotifications(endpoint: "bob-win") == ["46.10.0"])

        // Off again: back to what it runs at the next wake.
        try scenario.store.setAutomaticUpgrades(user: "bob", to: .off, at: at("2026-10-21T01:00:00Z"))
        try await scenario.run(until: "2026-10-21T02:00:00Z")
        #expect(try scenario.target("bob-win").version == "46.1.0")
        #expect(try scenario.target("bob-win").setAt == at("2026-10-21T01:00:01Z"))
    }

    @Test("CAD-7: mobile endpoints never get a target, across wakes and releases; explain says out_of_scope")
    func mobileNeverTargeted() async throws {
        let scenario = try Self.usersWorld()
        try await scenario.run(until: "2026-11-25T00:00:00Z")
        #expect(try scenario.targetVersion("alice-ios") == nil)
        #expect(try scenario.targetVersion("alice-android") == nil)
        #expect(try scenario.count("SELECT count(*) FROM endpoint WHERE platform IN ('ios','android') AND target_set_at IS NOT NULL") == 0)
        #expect(try scenario.count("SELECT count(*) FROM decision WHERE subject_id IN ('alice-ios','alice-android')") == 0)
        #expect(try scenario.count("SELECT count(*) FROM notification WHERE endpoint_id IN ('alice-ios','alice-android')") == 0)
        #expect(try scenario.targetVersion("alice-win") == "46.11.0")
        let explanation = try scenario.explain("contoso", endpoint: "alice-ios", at: "2026-11-25T00:00:00Z")
        #expect(explanation.endpoint("alice-ios")?.decision == "out_of_scope")
        #expect(explanation.endpoint("alice-ios")?.targetVersion == nil)
    }
}
