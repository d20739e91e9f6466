import Foundation
import RolloutCore
import Testing

@Suite("CAD-2 release effectiveness")
struct ReleaseEffectivenessTests {
    typealias F = ReleaseFixtures

    @Test("a release is effective at its automatic date plus the deferral in weeks")
    func deferralCountsInWeeks() {
        let release = F.release("45.1", "2026-01-12T16:00:00Z")
        #expect(release.effectiveInstant(under: .vendorDefault, calendar: F.calendar) == F.instant("2026-01-12T16:00:00Z"))
        #expect(release.effectiveInstant(under: F.schedule(.latest, 2), calendar: F.calendar) == F.instant("2026-01-26T16:00:00Z"))
    }

    @Test("a 4-week deferral across the November DST change keeps 08:00 local (CAL-4)")
    func novemberDSTKeepsLocalTime() {
        let release = F.release("46.10", "2026-10-15T15:00:00Z")  // Thu 08:00 PDT
        let effective = release.effectiveInstant(under: F.schedule(.latest, 4), calendar: F.calendar)
        #expect(effective == F.instant("2026-11-12T16:00:00Z"))  // Thu 08:00 PST, not 07:00
    }

    @Test("a 4-week deferral across the March DST change keeps 08:00 local (CAL-4)")
    func marchDSTKeepsLocalTime() {
        let release = F.release("45.2", "2026-02-09T16:00:00Z")  // Mon 08:00 PST
        let effective = release.effectiveInstant(under: F.schedule(.latest, 4), calendar: F.calendar)
        #expect(effective == F.instant("2026-03-09T15:00:00Z"))  // Mon 08:00 PDT, not 09:00
    }

    @Test("a release dated on a US holiday counts from its automatic date, not the next business day")
    func holidayReleaseCountsFromItsDate() {
        let mlkDay = "2026-01-19T16:00:00Z"
        #expect(!F.calendar.isBoundary(F.instant(mlkDay)))
        let release = F.release("45.1.1", mlkDay)
        #expect(release.effectiveInstant(under: .vendorDefault, calendar: F.calendar) == F.instant(mlkDay))
        #expect(release.effectiveInstant(under: F.schedule(.latest, 2), calendar: F.calendar) == F.instant("2026-02-02T16:00:00Z"))
        let timeline = ReleaseTimeline(releases: [release], calendar: F.calendar)
        #expect(timeline.target(for: F.windows("45.0"), at: F.instant(mlkDay), under: .vendorDefault)
            == .upgradeTo(F.version("45.1.1"), release))
    }

    @Test("a critical release is effective at its automatic date whatever the schedule")
    func criticalIgnoresDeferral() {
        let critical = F.release("45.1.5", "2026-01-20T16:00:00Z", critical: true)
        let regular = F.release("45.1.4", "2026-01-19T16:00:00Z")
        let slow = F.schedule(.slow, 12)
        #expect(critical.effectiveInstant(under: slow, calendar: F.calendar) == critical.automaticDate)
        #expect(regular.effectiveInstant(under: slow, calendar: F.calendar) == F.instant("2026-04-13T15:00:00Z"))
        let timeline = ReleaseTimeline(releases: [regular, critical], calendar: F.calendar)
        #expect(timeline.target(for: F.windows("45.0"), at: critical.automaticDate, under: slow)
            == .upgradeTo(F.version("45.1.5"), critical))
    }

    @Test("effective at the instant itself, not one second before")
    func effectiveAtOrBefore() {
        let release = F.monthly[3]
        let latest4 = F.schedule(.latest, 4)
        #expect(release.isEffective(at: F.instant("2026-04-06T15:00:00Z"), under: latest4, calendar: F.calendar))
        #expect(!release.isEffective(at: F.instant("2026-04-06T14:59:59Z"), under: latest4, calendar: F.calendar))
    }

    @Test("the daemon's next wake for releases is the earliest effective instant strictly after now (DMN-1)")
    func nextEffectiveInstant() {
        let latest4 = F.schedule(.latest, 4)
        let timeline = F.monthlyTimeline
        #expect(timeline.nextEffectiveInstant(after: F.instant("2026-03-20T00:00:00Z"), under: latest4)
            == F.instant("2026-04-06T15:00:00Z"))
        #expect(timeline.nextEffectiveInstant(after: F.instant("2026-04-06T15:00:00Z"), under: latest4)
            == F.instant("2026-05-11T15:00:00Z"))
        #expect(timeline.nextEffectiveInstant(after: F.instant("2026-05-11T15:00:00Z"), under: latest4) == nil)
    }
}
