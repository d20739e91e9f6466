import Foundation
import RolloutCore
import Testing

@Suite("CAD-8 timing of changes")
struct ScheduleChangeTimingTests {
    typealias F = ReleaseFixtures

    @Test("applied at the next business-day boundary when it comes within 24 hours")
    func nextBoundary() {
        #expect(ChangeTiming.applyBy(requestedAt: F.instant("2026-03-10T20:00:00Z"), calendar: F.calendar)
            == F.instant("2026-03-11T15:00:00Z"))
        #expect(ChangeTiming.applyBy(requestedAt: F.instant("2026-03-10T14:00:00Z"), calendar: F.calendar)
            == F.instant("2026-03-10T15:00:00Z"))
    }

    @Test("requested on Friday after the boundary: applied 24 hours later on Saturday, not Monday")
    func fridayAfterBoundary() {
        #expect(ChangeTiming.applyBy(requestedAt: F.instant("2026-03-13T17:00:00Z"), calendar: F.calendar)
            == F.instant("2026-03-14T17:00:00Z"))
    }

    @Test("24 hours are elapsed hours, also across the DST change")
    func elapsedHoursAcrossDST() {
        // Saturday 2026-03-07 12:00 PST; the next boundary is Monday. 24 h later is Sunday 13:00 PDT.
        #expect(ChangeTiming.applyBy(requestedAt: F.instant("2026-03-07T20:00:00Z"), calendar: F.calendar)
            == F.instant("2026-03-08T20:00:00Z"))
    }

    @Test("a change of deferral weeks alone takes effect at once; a change of cadence waits")
    func deferralOnlyIsImmediate() {
        let at = F.instant("2026-03-13T17:00:00Z")
        #expect(ChangeTiming.applyBy(from: F.schedule(.latest, 4), to: F.schedule(.latest, 1), requestedAt: at, calendar: F.calendar) == at)
        #expect(ChangeTiming.applyBy(from: F.schedule(.latest, 4), to: F.schedule(.slow, 4), requestedAt: at, calendar: F.calendar)
            == F.instant("2026-03-14T17:00:00Z"))
        #expect(ChangeTiming.applyBy(from: .vendorDefault, to: F.schedule(.latest, 0), requestedAt: at, calendar: F.calendar)
            == F.instant("2026-03-14T17:00:00Z"))
    }

    static func request(_ id: String, _ subject: SettingsSubject, _ edit: ScheduleEdit, _ at: String) -> ScheduleChangeRequest {
        let requestedAt = F.instant(at)
        return ScheduleChangeRequest(
            id: id, subject: subject, edit: edit, requestedBy: Requester.partnerAdmin(partnerID: "P1").actor, requestedAt: requestedAt,
            applyBy: ChangeTiming.applyBy(requestedAt: requestedAt, calendar: F.calendar))
    }

    @Test("pending changes of one scope coalesce: the last requested wins, the others are superseded")
    func coalescing() {
        let org = SettingsSubject.organisation("O1")
        let first = Self.request("1", org, .setSchedule(F.schedule(.slow, 12)), "2026-03-13T17:00:00Z")
        let second = Self.request("2", org, .resetSchedule, "2026-03-13T20:00:00Z")
        let third = Self.request("3", org, .setSchedule(F.schedule(.latest, 2)), "2026-03-14T09:00:00Z")
        let toggle = Self.request("4", org, .setAllowCustomerOverride(false), "2026-03-13T18:00:00Z")
        let otherOrg = Self.request("5", .organisation("O2"), .resetSchedule, "2026-03-13T19:00:00Z")

        let groups = ChangeTiming.coalesce([third, toggle, first, otherOrg, second])
        #expect(groups.map(\.winner.id) == ["3", "4", "5"])
        #expect(groups[0].superseded.map(\.id) == ["1", "2"])
        #expect(groups[0].scope == ChangeScope(subject: org, setting: .schedule))
        #expect(groups[0].applyBy == F.instant("2026-03-14T17:00:00Z"))
        #expect(groups[1].superseded.isEmpty)
        #expect(groups[1].scope.setting == .allowCustomerOverride)
    }

    @Test("changes requested at the same instant: the later one passed wins")
    func sameInstant() {
        let org = SettingsSubject.partner("P1")
        let a = Self.request("a", org, .setSchedule(F.schedule(.slow, 12)), "2026-03-10T20:00:00Z")
        let b = Self.request("b", org, .setSchedule(F.schedule(.latest, 4)), "2026-03-10T20:00:00Z")
        #expect(ChangeTiming.coalesce([a, b]).map(\.winner.id) == ["b"])
        #expect(ChangeTiming.coalesce([b, a]).map(\.winner.id) == ["a"])
    }
}
