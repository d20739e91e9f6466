import Foundation
import RolloutCore
import Testing

/// The calendar's vocabulary: `LocalDate` text and JSON forms, `Weekday` names.
@Suite struct CalendarLocalDateTests {
    @Test("only real dates exist")
    func realDates() {
        #expect(LocalDate(year: 2028, month: 2, day: 29) != nil)
        #expect(LocalDate(year: 2000, month: 2, day: 29) != nil)
        #expect(LocalDate(year: 2026, month: 2, day: 29) == nil)
        #expect(LocalDate(year: 2100, month: 2, day: 29) == nil)
        #expect(LocalDate(year: 2026, month: 4, day: 31) == nil)
        #expect(LocalDate(year: 2026, month: 13, day: 1) == nil)
        #expect(LocalDate(year: 2026, month: 1, day: 0) == nil)
        #expect(LocalDate(year: 0, month: 1, day: 1) == nil)
        #expect(LocalDate(year: 10_000, month: 1, day: 1) == nil)
    }

    @Test("text is YYYY-MM-DD and nothing else", arguments: [
        "2026-7-03", "26-07-03", "2026-07-3", "2026/07/03", "2026-07-03T00:00:00Z", " 2026-07-03",
        "2026-07-03 ", "+026-07-03", "2026-02-30", "", "2026-07", "２０２６-07-03",
    ])
    func rejectsOtherText(text: String) {
        #expect(LocalDate(text) == nil)
    }

    @Test("text round-trips, with padding")
    func textRoundTrip() throws {
        let date = try #require(LocalDate("2026-07-03"))
        #expect((date.year, date.month, date.day) == (2026, 7, 3))
        #expect(date.description == "2026-07-03")
        #expect(LocalDate(year: 987, month: 1, day: 2)?.description == "0987-01-02")
    }

    @Test("ordered by year, month, day")
    func ordering() {
        #expect(LocalDate("2026-12-31")! < LocalDate("2027-01-01")!)
        #expect(LocalDate("2026-02-28")! < LocalDate("2026-03-01")!)
        #expect(!(LocalDate("2026-03-01")! < LocalDate("2026-03-01")!))
    }

    @Test("Codable as the YYYY-MM-DD string")
    func codable() throws {
        let data = try JSONEncoder().encode([LocalDate("2026-07-03")!])
        #expect(String(decoding: data, as: UTF8.self) == #"["2026-07-03"]"#)
        #expect(try JSONDecoder().decode([LocalDate].self, from: Data(#"["2027-12-31"]"#.utf8)) == [LocalDate("2027-12-31")!])
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode([LocalDate].self, from: Data(#"["2027-02-29"]"#.utf8))
        }
    }

    @Test("weekday names: full or three letters, any case")
    func weekdayNames() {
        #expect(Weekday(name: "mon") == .monday)
        #expect(Weekday(name: "Mon") == .monday)
        #expect(Weekday(name: "MONDAY") == .monday)
        #expect(Weekday(name: "sun") == .sunday)
        #expect(Weekday(name: "Saturday") == .saturday)
        #expect(Weekday(name: "thu") == .thursday)
        #expect(Weekday(name: "mo") == nil)
        #expect(Weekday(name: "mondays") == nil)
        #expect(Weekday(name: "") == nil)
        #expect(Weekday.sunday.rawValue == 1 && Weekday.saturday.rawValue == 7)
    }
}
