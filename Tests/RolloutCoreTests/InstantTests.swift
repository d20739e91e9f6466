import Foundation
import RolloutCore
import Testing

/// `Instant`: the hand-written ISO-8601 reader and writer every command and document uses.
@Suite struct InstantTests {
    @Test("the accepted forms read as the same instant", arguments: [
        "2026-03-09T15:00:00Z", "2026-03-09T08:00:00-07:00", "2026-03-09T15:00Z", "2026-03-09T16:30:00+01:30",
        "2026-03-10T00:00:00+09:00",
    ])
    func acceptedForms(text: String) throws {
        #expect(Instant.seconds(try #require(Instant.parse(text))) == 1_773_068_400)
    }

    @Test("fractional seconds are kept below the second and dropped by seconds()")
    func fractions() throws {
        let date = try #require(Instant.parse("2026-03-09T15:00:00.750Z"))
        #expect(date.timeIntervalSince1970 == 1_773_068_400.75)
        #expect(Instant.seconds(date) == 1_773_068_400)
    }

    @Test("impossible or incomplete instants are refused", arguments: [
        "2026-02-30T00:00:00Z", "2026-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
        "0000-01-01T00:00:00Z", "2026-03-09T24:00:00Z", "2026-03-09T15:60:00Z", "2026-03-09T15:00:60Z",
        "2026-03-09T15:00:00+25:00", "2026-03-09T15:00:00+05:60", "2026-03-09T15:00:00", "2026-03-09", "2026-03-09 15:00:00Z",
        "2026-3-09T15:00:00Z", "2026-03-09T15:00:00.Z", "2026-03-09T15:00:00Zjunk", " 2026-03-09T15:00:00Z", "",
        "2026-03-09T15:00:00+0100", "２０２６-03-09T15:00:00Z",
    ])
    func refused(text: String) {
        #expect(Instant.parse(text) == nil)
    }

    @Test("leap days exist in leap years only (the Gregorian rule)")
    func leapDays() {
        #expect(Instant.parse("2028-02-29T00:00:00Z") != nil)
        #expect(Instant.parse("2000-02-29T00:00:00Z") != nil)
        #expect(Instant.parse("2100-02-29T00:00:00Z") == nil)
    }

    @Test("format prints canonical UTC and parse reads it back, across eras and centuries")
    func roundTrip() throws {
        for seconds: Int64 in [0, -1, 1_773_068_400, 951_782_400, -62_135_596_800, 253_402_300_799, 4_107_542_399] {
            let text = Instant.format(Instant.date(seconds))
            #expect(Instant.seconds(try #require(Instant.parse(text))) == seconds, "\(text)")
        }
        #expect(Instant.format(Instant.date(0)) == "1970-01-01T00:00:00Z")
        #expect(Instant.format(Instant.date(-1)) == "1969-12-31T23:59:59Z")
        #expect(Instant.format(Instant.date(951_782_400)) == "2000-02-29T00:00:00Z")
        #expect(Instant.format(Instant.date(-62_135_596_800)) == "0001-01-01T00:00:00Z")
        #expect(Instant.format(Instant.date(1_773_068_400).addingTimeInterval(0.999)) == "2026-03-09T15:00:00Z")
    }

    @Test("format agrees with Foundation's ISO-8601 formatter on every day of four years")
    func agreesWithFoundation() {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        var seconds: Int64 = 1_735_689_600 - 86_400 * 366
        for _ in 0..<(4 * 366) {
            let date = Instant.date(seconds + 12_345)
            #expect(Instant.format(date) == formatter.string(from: date))
            #expect(Instant.parse(formatter.string(from: date)) == date)
            seconds += 86_400
        }
    }
}
