import Foundation

/// Instants are `Date`s to the second. They are stored as Unix seconds and printed as UTC
/// ISO-8601 (`2026-03-09T15:00:00Z`), the form every command prints and accepts.
///
/// Parsing and printing are hand-written rather than `ISO8601DateFormatter`: a state document
/// holds an instant per endpoint, and a formatter per call was most of the time `apply` took
/// at a million endpoints. The parser is strict, so an impossible instant is an error, never a
/// silently different one.
public enum Instant {
    /// Parses RFC 3339 date-times with a zone: `2026-03-09T15:00:00Z`, `2026-03-09T08:00:00-07:00`,
    /// `2026-03-09T15:00:00.250Z`, and without seconds, `2026-03-09T15:00Z`.
    ///
    /// Refused: a date that does not exist (`2026-02-30`), year 0000, hours past 23, minutes or
    /// seconds past 59 (no leap seconds), an offset past ±23:59 (`+25:00`), a missing zone, and
    /// anything before or after the instant.
    public static func parse(_ text: String) -> Date? {
        var text = text
        return text.withUTF8 { parse(bytes: $0) }
    }

    /// The same, over UTF-8 bytes (the state document's reader hands these over without
    /// making a String).
    public static func parse(bytes: UnsafeBufferPointer<UInt8>) -> Date? {
        var reader = DigitReader(bytes: bytes)
        guard let year = reader.number(digits: 4), year >= 1, reader.take(UInt8(ascii: "-")),
              let month = reader.number(digits: 2), (1...12).contains(month), reader.take(UInt8(ascii: "-")),
              let day = reader.number(digits: 2), day >= 1, day <= daysIn(month: month, year: year),
              reader.take(UInt8(ascii: "T")),
              let hour = reader.number(digits: 2), hour <= 23, reader.take(UInt8(ascii: ":")),
              let minute = reader.number(digits: 2), minute <= 59
        else { return nil }
        var second = 0
        var fraction = 0.0
        if reader.take(UInt8(ascii: ":")) {
            guard let value = reader.number(digits: 2), value <= 59 else { return nil }
            second = value
            if reader.take(UInt8(ascii: ".")) {
                var scale = 0.1
                var digits = 0
                while let digit = reader.digit() {
                    fraction += Double(digit) * scale
                    scale /= 10
                    digits += 1
                }
                guard digits > 0 else { return nil }
            }
        }
        var offset = 0
        if reader.take(UInt8(ascii: "Z")) {
            offset = 0
        } else {
            let sign: Int
            if reader.take(UInt8(ascii: "+")) { sign = 1 } else if reader.take(UInt8(ascii: "-")) { sign = -1 } else { return nil }
            guard let hours = reader.number(digits: 2), hours <= 23, reader.take(UInt8(ascii: ":")),
                  let minutes = reader.number(digits: 2), minutes <= 59 else { return nil }
            offset = sign * (hours * 3_600 + minutes * 60)
        }
        guard reader.atEnd else { return nil }
        let seconds = daysFromCivil(year: year, month: month, day: day) * 86_400 + hour * 3_600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
    }

    /// The canonical UTC form, to the second.
    public static func format(_ date: Date) -> String {
        let total = seconds(date)
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let secondOfDay = Int(total - days * 86_400)
        let (year, month, day) = civil(fromDays: Int(days))
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        let yearText = String(repeating: "0", count: max(0, 4 - String(year).count)) + String(year)
        return "\(yearText)-\(two(month))-\(two(day))T\(two(secondOfDay / 3_600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))Z"
    }

    public static func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
    public static func date(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }

    // MARK: The proleptic Gregorian calendar (H. Hinnant's days_from_civil and civil_from_days)

    static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days from 1970-01-01 to the date.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// Reads fixed-width decimal fields and single characters off a byte buffer.
private struct DigitReader {
    let bytes: UnsafeBufferPointer<UInt8>
    var index = 0

    var atEnd: Bool { index == bytes.count }

    mutating func take(_ byte: UInt8) -> Bool {
        guard index < bytes.count, bytes[index] == byte else { return false }
        index += 1
        return true
    }

    mutating func digit() -> Int? {
        guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
        defer { index += 1 }
        return Int(bytes[index] - UInt8(ascii: "0"))
    }

    mutating func number(digits: Int) -> Int? {
        var value = 0
        for _ in 0..<digits {
            guard let digit = digit() else { return nil }
            value = value * 10 + digit
        }
        return value
    }
}
