import Foundation
import RolloutCore
import Testing

/// CAL-2: the US federal holiday rules, their weekend observation, and the config that edits them.
@Suite struct CalendarHolidayTests {
    static let names = [
        "New Year's Day", "Martin Luther King Jr. Day", "Washington's Birthday", "Memorial Day",
        "Juneteenth", "Independence Day", "Labor Day", "Columbus Day", "Veterans Day", "Thanksgiving",
        "Christmas",
    ]

    /// (date, observed) per holiday, in `names` order. Written out from Python's `datetime`
    /// (nth weekday / last weekday of the month; Saturday → Friday before, Sunday → Monday after),
    /// never from the code under test.
    static let expected: [Int: [(String, String)]] = [
        2024: [("2024-01-01", "2024-01-01"), ("2024-01-15", "2024-01-15"), ("2024-02-19", "2024-02-19"), ("2024-05-27", "2024-05-27"), ("2024-06-19", "2024-06-19"), ("2024-07-04", "2024-07-04"), ("2024-09-02", "2024-09-02"), ("2024-10-14", "2024-10-14"), ("2024-11-11", "2024-11-11"), ("2024-11-28", "2024-11-28"), ("2024-12-25", "2024-12-25")],
        2025: [("2025-01-01", "2025-01-01"), ("2025-01-20", "2025-01-20"), ("2025-02-17", "2025-02-17"), ("2025-05-26", "2025-05-26"), ("2025-06-19", "2025-06-19"), ("2025-07-04", "2025-07-04"), ("2025-09-01", "2025-09-01"), ("2025-10-13", "2025-10-13"), ("2025-11-11", "2025-11-11"), ("2025-11-27", "2025-11-27"), ("2025-12-25", "2025-12-25")],
        2026: [("2026-01-01", "2026-01-01"), ("2026-01-19", "2026-01-19"), ("2026-02-16", "2026-02-16"), ("2026-05-25", "2026-05-25"), ("2026-06-19", "2026-06-19"), ("2026-07-04", "2026-07-03"), ("2026-09-07", "2026-09-07"), ("2026-10-12", "2026-10-12"), ("2026-11-11", "2026-11-11"), ("2026-11-26", "2026-11-26"), ("2026-12-25", "2026-12-25")],
        2027: [("2027-01-01", "2027-01-01"), ("2027-01-18", "2027-01-18"), ("2027-02-15", "2027-02-15"), ("2027-05-31", "2027-05-31"), ("2027-06-19", "2027-06-18"), ("2027-07-04", "2027-07-05"), ("2027-09-06", "2027-09-06"), ("2027-10-11", "2027-10-11"), ("2027-11-11", "2027-11-11"), ("2027-11-25", "2027-11-25"), ("2027-12-25", "2027-12-24")],
        2028: [("2028-01-01", "2027-12-31"), ("2028-01-17", "2028-01-17"), ("2028-02-21", "2028-02-21"), ("2028-05-29", "2028-05-29"), ("2028-06-19", "2028-06-19"), ("2028-07-04", "2028-07-04"), ("2028-09-04", "2028-09-04"), ("2028-10-09", "2028-10-09"), ("2028-11-11", "2028-11-10"), ("2028-11-23", "2028-11-23"), ("2028-12-25", "2028-12-25")],
        2029: [("2029-01-01", "2029-01-01"), ("2029-01-15", "2029-01-15"), ("2029-02-19", "2029-02-19"), ("2029-05-28", "2029-05-28"), ("2029-06-19", "2029-06-19"), ("2029-07-04", "2029-07-04"), ("2029-09-03", "2029-09-03"), ("2029-10-08", "2029-10-08"), ("2029-11-11", "2029-11-12"), ("2029-11-22", "2029-11-22"), ("2029-12-25", "2029-12-25")],
        2030: [("2030-01-01", "2030-01-01"), ("2030-01-21", "2030-01-21"), ("2030-02-18", "2030-02-18"), ("2030-05-27", "2030-05-27"), ("2030-06-19", "2030-06-19"), ("2030-07-04", "2030-07-04"), ("2030-09-02", "2030-09-02"), ("2030-10-14", "2030-10-14"), ("2030-11-11", "2030-11-11"), ("2030-11-28", "2030-11-28"), ("2030-12-25", "2030-12-25")],
        2031: [("2031-01-01", "2031-01-01"), ("2031-01-20", "2031-01-20"), ("2031-02-17", "2031-02-17"), ("2031-05-26", "2031-05-26"), ("2031-06-19", "2031-06-19"), ("2031-07-04", "2031-07-04"), ("2031-09-01", "2031-09-01"), ("2031-10-13", "2031-10-13"), ("2031-11-11", "2031-11-11"), ("2031-11-27", "2031-11-27"), ("2031-12-25", "2031-12-25")],
        2032: [("2032-01-01", "2032-01-01"), ("2032-01-19", "2032-01-19"), ("2032-02-16", "2032-02-16"), ("2032-05-31", "2032-05-31"), ("2032-06-19", "2032-06-18"), ("2032-07-04", "2032-07-05"), ("2032-09-06", "2032-09-06"), ("2032-10-11", "2032-10-11"), ("2032-11-11", "2032-11-11"), ("2032-11-25", "2032-11-25"), ("2032-12-25", "2032-12-24")],
    ]

    static let standard = BusinessCalendar()

    static func day(_ text: String) -> LocalDate { LocalDate(text)! }
    static func at(_ text: String) -> Date { Instant.parse(text)! }

    @Test("every rule, 2024–2032, date and observed date", arguments: 2024...2032)
    func rulesPinned(year: Int) throws {
        let rows = try #require(Self.expected[year])
        let holidays = USFederalHolidays.holidays(in: year)
        #expect(holidays.map(\.name) == Self.names)
        #expect(holidays.map(\.date.description) == rows.map(\.0))
        #expect(holidays.map(\.observed.description) == rows.map(\.1))
    }

    @Test("each observed date is a non-business day named by holiday(on:); the weekend rule date is not a holiday", arguments: 2024...2032)
    func observedDatesAreNonBusinessDays(year: Int) throws {
        let rows = try #require(Self.expected[year])
        for ((actual, observed), name) in zip(rows, Self.names) {
            let holiday = Self.standard.holiday(on: Self.day(observed))
            #expect(holiday?.name == name, "\(observed)")
            #expect(holiday?.date == Self.day(actual))
            #expect(!Self.standard.isBusinessDay(Self.day(observed)), "\(observed)")
            if actual != observed {
                #expect(Self.standard.holiday(on: Self.day(actual)) == nil, "\(actual) is a weekend day, not the day off")
            }
        }
    }

    @Test("weekend shifts: Saturday → Friday before, Sunday → Monday after")
    func weekendShifts() {
        let shifts: [(String, String, String)] = [
            ("Juneteenth", "2027-06-19", "2027-06-18"),
            ("Independence Day", "2026-07-04", "2026-07-03"),
            ("Independence Day", "2027-07-04", "2027-07-05"),
            ("Christmas", "2027-12-25", "2027-12-24"),
            ("Veterans Day", "2029-11-11", "2029-11-12"),
        ]
        for (name, actual, observed) in shifts {
            let holiday = Self.standard.holiday(on: Self.day(observed))
            #expect(holiday?.name == name)
            #expect(holiday?.date == Self.day(actual))
            #expect(holiday?.observed == Self.day(observed))
            #expect(!Self.standard.isBusinessDay(Self.day(observed)))
        }
    }

    @Test("New Year's Day on a Saturday is observed on December 31st of the year before")
    func newYearAcrossYears() {
        let holiday = Self.standard.holiday(on: Self.day("2027-12-31"))
        #expect(holiday?.name == "New Year's Day")
        #expect(holiday?.date == Self.day("2028-01-01"))
        #expect(!Self.standard.isBusinessDay(Self.day("2027-12-31")))
        #expect(Self.standard.holiday(on: Self.day("2028-01-01")) == nil)
        // Thursday 2027-12-30 08:00 PST → the next boundary skips Friday the 31st and the weekend.
        #expect(Self.standard.nextBoundary(after: Self.at("2027-12-30T16:00:00Z")) == Self.at("2028-01-03T16:00:00Z"))
        // An ordinary December 31st stays a business day.
        #expect(Self.standard.isBusinessDay(Self.day("2026-12-31")))
    }

    @Test("boundaries skip holidays: after Wed 2026-11-25 08:00 PST comes Fri 2026-11-27")
    func boundariesSkipHolidays() {
        #expect(Self.standard.nextBoundary(after: Self.at("2026-11-25T16:00:00Z")) == Self.at("2026-11-27T16:00:00Z"))
        #expect(Self.standard.nextBoundary(after: Self.at("2026-07-02T15:00:00Z")) == Self.at("2026-07-06T15:00:00Z"))
        #expect(Self.standard.boundaries(after: Self.at("2026-12-23T00:00:00Z"), through: Self.at("2027-01-05T00:00:00Z")) == [
            "2026-12-23T16:00:00Z", "2026-12-24T16:00:00Z", "2026-12-28T16:00:00Z", "2026-12-29T16:00:00Z",
            "2026-12-30T16:00:00Z", "2026-12-31T16:00:00Z", "2027-01-04T16:00:00Z",
        ].map(Self.at))
    }

    @Test("added dates are non-business days without being named holidays")
    func addedDates() {
        let calendar = BusinessCalendar(.init(holidays: .init(added: [Self.day("2026-11-27")])))
        #expect(!calendar.isBusinessDay(Self.day("2026-11-27")))
        #expect(calendar.holiday(on: Self.day("2026-11-27")) == nil)
        #expect(calendar.nextBoundary(after: Self.at("2026-11-25T16:00:00Z")) == Self.at("2026-11-30T16:00:00Z"))
    }

    @Test("removed dates stay business days, matched on the observed date")
    func removedDates() {
        let keepObserved = BusinessCalendar(.init(holidays: .init(removed: [Self.day("2026-07-03")])))
        #expect(keepObserved.isBusinessDay(Self.day("2026-07-03")))
        #expect(keepObserved.holiday(on: Self.day("2026-07-03")) == nil)
        #expect(keepObserved.nextBoundary(after: Self.at("2026-07-02T15:00:00Z")) == Self.at("2026-07-03T15:00:00Z"))
        #expect(!keepObserved.isBusinessDay(Self.day("2026-11-26")), "other holidays are untouched")

        let removeRuleDate = BusinessCalendar(.init(holidays: .init(removed: [Self.day("2026-07-04")])))
        #expect(!removeRuleDate.isBusinessDay(Self.day("2026-07-03")), "the rule date is not the observed date")

        let addedThenRemoved = BusinessCalendar(.init(holidays: .init(added: [Self.day("2026-08-03")], removed: [Self.day("2026-08-03")])))
        #expect(addedThenRemoved.isBusinessDay(Self.day("2026-08-03")), "observed + added − removed")
    }

    @Test("the rule set switched off: holidays are business days, added dates still count")
    func rulesOff() {
        let calendar = BusinessCalendar(.init(holidays: .init(usFederal: false, added: [Self.day("2026-12-24")])))
        #expect(calendar.isBusinessDay(Self.day("2026-11-26")))
        #expect(calendar.holiday(on: Self.day("2026-11-26")) == nil)
        #expect(calendar.holiday(on: Self.day("2027-12-31")) == nil)
        #expect(calendar.nextBoundary(after: Self.at("2026-11-25T16:00:00Z")) == Self.at("2026-11-26T16:00:00Z"))
        #expect(!calendar.isBusinessDay(Self.day("2026-12-24")))
        #expect(!calendar.isBusinessDay(Self.day("2026-11-28")), "Saturday is still not a business day")
    }
}
