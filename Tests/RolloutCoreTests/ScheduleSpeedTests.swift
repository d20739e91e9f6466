import Foundation
import RolloutCore
import Testing

@Suite("CAD-9 faster and slower schedules")
struct ScheduleSpeedTests {
    typealias F = ReleaseFixtures
    let timeline = F.monthlyTimeline

    @Test("automatic, then latest, then slow; within a cadence fewer weeks is faster")
    func speedOrder() {
        #expect(Schedule.vendorDefault.isFaster(than: F.schedule(.latest, 0)))
        #expect(F.schedule(.latest, 4).isFaster(than: F.schedule(.slow, 0)))
        #expect(F.schedule(.latest, 2).isFaster(than: F.schedule(.latest, 4)))
        #expect(F.schedule(.slow, 8).isFaster(than: F.schedule(.slow, 12)))
        #expect(!F.schedule(.slow, 0).isFaster(than: F.schedule(.latest, 4)))
        #expect(!F.schedule(.latest, 4).isFaster(than: F.schedule(.latest, 4)))
    }

    @Test("to a faster schedule with a newer release already effective under it: the target moves now")
    func fasterWithNewerRelease() {
        let switchedAt = F.instant("2026-04-20T17:00:00Z")
        let slow = F.schedule(.slow, 12)
        let latest = F.schedule(.latest, 4)
        #expect(latest.isFaster(than: slow))
        // Under slow +12w the endpoint runs 45.1 (effective 2026-04-06).
        let endpoint = F.windows("45.1")
        #expect(timeline.target(for: endpoint, at: switchedAt, under: slow) == .upToDate(installed: F.version("45.1")))
        // Under latest +4w, 45.3 has been effective since 2026-04-06: it moves to it at once.
        #expect(timeline.target(for: endpoint, at: switchedAt, under: latest) == .upgradeTo(F.version("45.3"), F.monthly[3]))
    }

    @Test("to a faster schedule with nothing newer under it: it waits for the next release under it")
    func fasterWithoutNewerRelease() {
        let switchedAt = F.instant("2026-04-08T17:00:00Z")
        let latest = F.schedule(.latest, 4)
        // Under latest +4w the endpoint runs 45.3 (effective 2026-04-06).
        let endpoint = F.windows("45.3")
        #expect(timeline.target(for: endpoint, at: switchedAt, under: latest) == .upToDate(installed: F.version("45.3")))
        // Automatic is faster, but its newest effective release is 45.3 too: nothing moves yet.
        #expect(timeline.target(for: endpoint, at: switchedAt, under: .vendorDefault) == .upToDate(installed: F.version("45.3")))
        let next = timeline.nextEffectiveInstant(after: switchedAt, under: .vendorDefault)
        #expect(next == F.instant("2026-04-13T15:00:00Z"))
        #expect(timeline.target(for: endpoint, at: F.instant("2026-04-13T15:00:00Z"), under: .vendorDefault)
            == .upgradeTo(F.version("45.4"), F.monthly[4]))
    }

    @Test("to a slower schedule: it keeps what it runs until a newer release is effective under the slower one")
    func slower() {
        let switchedAt = F.instant("2026-03-20T17:00:00Z")
        let slow = F.schedule(.slow, 12)
        #expect(!slow.isFaster(than: .vendorDefault))
        // Under automatic the endpoint runs 45.3 (effective 2026-03-09).
        let endpoint = F.windows("45.3")
        #expect(timeline.target(for: endpoint, at: switchedAt, under: .vendorDefault) == .upToDate(installed: F.version("45.3")))
        // Under slow +12w only 44.12 is effective: no downgrade, it stays on 45.3 ...
        #expect(timeline.target(for: endpoint, at: switchedAt, under: slow) == .upToDate(installed: F.version("45.3")))
        // ... through 45.1, 45.2 and 45.3 becoming effective under slow ...
        #expect(timeline.target(for: endpoint, at: F.instant("2026-07-06T14:59:59Z"), under: slow)
            == .upToDate(installed: F.version("45.3")))
        // ... until 45.4 is, on 2026-04-13 + 12 weeks.
        #expect(timeline.target(for: endpoint, at: F.instant("2026-07-06T15:00:00Z"), under: slow)
            == .upgradeTo(F.version("45.4"), F.monthly[4]))
    }
}
