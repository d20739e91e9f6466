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
        guard let year = reader.number(digits: 4), reader.take(UInt8(ascii: "-")),
              let month = reader.number(digits: 2), reader.take(UInt8(ascii: "-")),
              let day = reader.number(digits: 2), let date = LocalDate(year: year, month: month, day: day),
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
        let seconds = date.dayNumber * 86_400 + hour * 3_600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: TimeInterval(seconds) + fraction)
    }

    /// The canonical UTC form, to the second.
    public static func format(_ date: Date) -> String {
        let total = seconds(date)
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let secondOfDay = Int(total - days * 86_400)
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(LocalDate(dayNumber: Int(days)))T\(two(secondOfDay / 3_600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))Z"
    }

    public static func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
    public static func date(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }
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
