import Foundation
import RolloutCore
import Testing

/// CAL-1 boundary instants and CAL-4 calendar durations in the configured zone.
@Suite struct CalendarDurationTests {
    static let standard = BusinessCalendar()

    static func at(_ text: String) -> Date { Instant.parse(text)! }

    @Test("CAL-4: 30 days after 10:00 PDT is 10:00 PST, not 09:00")
    func thirtyDaysAcrossFallBack() {
        let start = Self.at("2026-10-20T17:00:00Z")
        let later = Self.standard.adding(days: 30, to: start)
        #expect(later == Self.at("2026-11-19T18:00:00Z"))
        #expect(later.timeIntervalSince(start) == 30 * 86_400 + 3600)
        #expect(Self.standard.adding(days: -30, to: later) == start)
    }

    @Test("CAL-4: weeks keep the local time across the spring change")
    func weeksAcrossSpringForward() {
        #expect(Self.standard.adding(weeks: 1, to: Self.at("2026-03-02T16:00:00Z")) == Self.at("2026-03-09T15:00:00Z"))
        #expect(Self.standard.adding(weeks: 4, to: Self.at("2026-02-23T16:00:00Z")) == Self.at("2026-03-23T15:00:00Z"))
        #expect(Self.standard.adding(weeks: -1, to: Self.at("2026-03-09T15:00:00Z")) == Self.at("2026-03-02T16:00:00Z"))
        #expect(Self.standard.adding(weeks: 12, to: Self.at("2026-01-05T16:00:00Z")) == Self.at("2026-03-30T15:00:00Z"))
        #expect(Self.standard.adding(weeks: 0, to: Self.at("2026-03-09T15:00:00Z")) == Self.at("2026-03-09T15:00:00Z"))
    }

    @Test("CAL-4: one calendar day across spring-forward is 23 elapsed hours; 24 hours is elapsed time")
    func dayIsNotTwentyFourHours() {
        let saturday = Self.at("2026-03-07T18:00:00Z")
        let sunday = Self.standard.adding(days: 1, to: saturday)
        #expect(sunday == Self.at("2026-03-08T17:00:00Z"))
        #expect(sunday.timeIntervalSince(saturday) == 23 * 3600)
    }

    @Test("CAL-4: a wall time that the target day skips lands past the gap; a repeated one at its first occurrence")
    func daysIntoGapAndOverlap() {
        // 02:30 PST Saturday → Sunday 2026-03-08 has no 02:30; the result is 03:30 PDT.
        #expect(Self.standard.adding(days: 1, to: Self.at("2026-03-07T10:30:00Z")) == Self.at("2026-03-08T10:30:00Z"))
        // 01:30 PDT Saturday → Sunday 2026-11-01 shows 01:30 twice; the first (PDT) is taken.
        #expect(Self.standard.adding(days: 1, to: Self.at("2026-10-31T08:30:00Z")) == Self.at("2026-11-01T08:30:00Z"))
    }

    @Test("CAL-1: boundaries are 16:00Z in winter (PST) and 15:00Z in summer (PDT)")
    func boundaryInstantsFollowDST() {
        #expect(Self.standard.boundaries(after: Self.at("2026-03-05T00:00:00Z"), count: 3) == [
            "2026-03-05T16:00:00Z", "2026-03-06T16:00:00Z", "2026-03-09T15:00:00Z",
        ].map(Self.at))
        #expect(Self.standard.boundaries(after: Self.at("2026-10-30T00:00:00Z"), count: 2) == [
            "2026-10-30T15:00:00Z", "2026-11-02T16:00:00Z",
        ].map(Self.at))
        #expect(Self.standard.boundaries(after: Self.at("2026-10-30T00:00:00Z"), count: 0).isEmpty)
    }

    @Test("CAL-1: isBoundary on business days, weekends, holidays and near misses")
    func isBoundaryCases() {
        #expect(Self.standard.isBoundary(Self.at("2026-03-09T15:00:00Z")))
        #expect(Self.standard.isBoundary(Self.at("2026-01-05T16:00:00Z")))
        #expect(!Self.standard.isBoundary(Self.at("2026-03-09T16:00:00Z")), "09:00 PDT")
        #expect(!Self.standard.isBoundary(Self.at("2026-03-09T15:00:01Z")))
        #expect(!Self.standard.isBoundary(Self.at("2026-03-07T16:00:00Z")), "Saturday")
        #expect(!Self.standard.isBoundary(Self.at("2026-11-26T16:00:00Z")), "Thanksgiving")
        let rulesOff = BusinessCalendar(.init(holidays: .init(usFederal: false)))
        #expect(rulesOff.isBoundary(Self.at("2026-11-26T16:00:00Z")))
    }

    @Test("next is strictly after; at-or-after keeps a boundary; (start, end] includes only the end")
    func boundarySearchEdges() {
        let monday = Self.at("2026-03-09T15:00:00Z")
        #expect(Self.standard.nextBoundary(after: monday) == Self.at("2026-03-10T15:00:00Z"))
        #expect(Self.standard.nextBoundary(after: monday.addingTimeInterval(-1)) == monday)
        #expect(Self.standard.boundary(atOrAfter: monday) == monday)
        #expect(Self.standard.boundary(atOrAfter: monday.addingTimeInterval(1)) == Self.at("2026-03-10T15:00:00Z"))
        #expect(Self.standard.boundary(atOrAfter: Self.at("2026-03-07T16:00:00Z")) == monday)
        #expect(Self.standard.boundaries(after: monday, through: Self.at("2026-03-11T15:00:00Z")) == [
            "2026-03-10T15:00:00Z", "2026-03-11T15:00:00Z",
        ].map(Self.at))
        #expect(Self.standard.boundaries(after: monday, through: monday).isEmpty)
    }

    @Test("localDate(of:) reads the zone's wall calendar")
    func localDates() {
        #expect(Self.standard.localDate(of: Self.at("2026-03-09T06:59:59Z")) == LocalDate("2026-03-08"))
        #expect(Self.standard.localDate(of: Self.at("2026-03-09T07:00:00Z")) == LocalDate("2026-03-09"))
        #expect(Self.standard.localDate(of: Self.at("2026-01-01T07:59:59Z")) == LocalDate("2025-12-31"))
        #expect(Self.standard.localDate(of: Self.at("2026-01-01T08:00:00Z")) == LocalDate("2026-01-01"))
    }

    @Test("zone, hour, minute and weekdays are configuration")
    func configuredZoneAndTime() throws {
        let paris = try #require(TimeZone(identifier: "Europe/Paris"))
        let calendar = BusinessCalendar(.init(zone: paris, boundaryHour: 9, boundaryMinute: 30,
                                              weekdays: [.saturday], holidays: .init(usFederal: false)))
        // Saturdays at 09:30 Paris time: CET (+01:00) before 2026-03-29, CEST (+02:00) after.
        #expect(calendar.boundaries(after: Self.at("2026-03-20T00:00:00Z"), count: 3) == [
            "2026-03-21T08:30:00Z", "2026-03-28T08:30:00Z", "2026-04-04T07:30:00Z",
        ].map(Self.at))
        #expect(calendar.adding(days: 1, to: Self.at("2026-03-28T23:30:00Z")) == Self.at("2026-03-29T22:30:00Z"))
    }
}
