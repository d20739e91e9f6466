import Foundation
import RolloutCore
import Testing

@Suite("CAD-2, CAD-6, CAD-7 target version")
struct ReleaseTargetTests {
    typealias F = ReleaseFixtures
    let timeline = F.monthlyTimeline
    let latest4 = F.schedule(.latest, 4)

    @Test("the target is the newest release effective under the schedule")
    func newestEffective() {
        #expect(timeline.target(for: F.windows("45.1"), at: F.instant("2026-04-07T00:00:00Z"), under: latest4)
            == .upgradeTo(F.version("45.3"), F.monthly[3]))
        #expect(timeline.target(for: F.windows("45.1"), at: F.instant("2026-04-07T00:00:00Z"), under: .vendorDefault)
            == .upgradeTo(F.version("45.3"), F.monthly[3]))
        #expect(timeline.target(for: F.windows("45.1"), at: F.instant("2026-04-13T15:00:00Z"), under: .vendorDefault)
            == .upgradeTo(F.version("45.4"), F.monthly[4]))
    }

    @Test("no downgrade, ever: an endpoint ahead of the schedule stays where it is")
    func noDowngrade() {
        let ahead = timeline.target(for: F.windows("45.4"), at: F.instant("2026-04-07T00:00:00Z"), under: latest4)
        #expect(ahead == .upToDate(installed: F.version("45.4")))
        #expect(ahead.version == F.version("45.4"))
        #expect(timeline.target(for: F.windows("45.3"), at: F.instant("2026-04-07T00:00:00Z"), under: latest4)
            == .upToDate(installed: F.version("45.3")))
    }

    @Test("versions compare numerically: 45.10 is newer than 45.9")
    func numericComparison() {
        let nine = F.release("45.9", "2026-01-12T16:00:00Z")
        let ten = F.release("45.10", "2026-02-09T16:00:00Z")
        let timeline = ReleaseTimeline(releases: [ten, nine], calendar: F.calendar)
        #expect(timeline.target(for: F.windows("45.9"), at: F.instant("2026-03-01T00:00:00Z"), under: .vendorDefault)
            == .upgradeTo(F.version("45.10"), ten))
    }

    @Test("a release without a build for the platform is skipped for it")
    func platformWithoutBuildIsSkipped() {
        let both = F.release("45.2", "2026-02-09T16:00:00Z", platforms: [.windows, .macos])
        let windowsOnly = F.release("45.3", "2026-03-09T15:00:00Z", platforms: [.windows])
        let timeline = ReleaseTimeline(releases: [both, windowsOnly], calendar: F.calendar)
        let at = F.instant("2026-03-10T00:00:00Z")
        let mac = EndpointReleaseFacts(platform: .macos, installedVersion: F.version("45.1"))
        #expect(timeline.target(for: mac, at: at, under: .vendorDefault) == .upgradeTo(F.version("45.2"), both))
        #expect(timeline.target(for: F.windows("45.1"), at: at, under: .vendorDefault) == .upgradeTo(F.version("45.3"), windowsOnly))
        let linux = EndpointReleaseFacts(platform: .linux, installedVersion: F.version("45.1"))
        #expect(timeline.target(for: linux, at: at, under: .vendorDefault) == .upToDate(installed: F.version("45.1")))
    }

    @Test("CAD-6: a user with automatic upgrades off keeps the installed version")
    func userOff() {
        let at = F.instant("2026-04-07T00:00:00Z")
        #expect(timeline.target(for: F.windows("45.1", .off), at: at, under: latest4) == .userOptedOut(installed: F.version("45.1")))
        #expect(timeline.target(for: F.windows("45.1", .off), at: at, under: latest4).version == F.version("45.1"))
        #expect(timeline.target(for: F.windows("45.1", .on), at: at, under: latest4) == .upgradeTo(F.version("45.3"), F.monthly[3]))
        #expect(timeline.target(for: F.windows("45.1", .inherit), at: at, under: latest4) == .upgradeTo(F.version("45.3"), F.monthly[3]))
    }

    @Test("CAD-7: mobile endpoints are out of scope, never targeted, even when a release lists them", arguments: [Platform.ios, .android])
    func mobileOutOfScope(platform: Platform) {
        let everywhere = F.release("45.1", "2026-01-12T16:00:00Z", platforms: Set(Platform.allCases))
        let timeline = ReleaseTimeline(releases: [everywhere], calendar: F.calendar)
        let phone = EndpointReleaseFacts(platform: platform, installedVersion: F.version("44.0"), automaticUpgrades: .on)
        let target = timeline.target(for: phone, at: F.instant("2026-03-01T00:00:00Z"), under: .vendorDefault)
        #expect(target == .outOfScope(platform))
        #expect(target.version == nil)
    }
}
