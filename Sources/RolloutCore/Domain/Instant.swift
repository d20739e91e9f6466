public import Foundation

/// Instants are `Date`s to the second. They are stored as Unix seconds and printed as UTC
/// ISO-8601 (`2026-03-09T15:00:00Z`), the form every command prints and accepts.
public enum Instant {
    /// Parses `2026-03-09T15:00:00Z`, `2026-03-09T08:00:00-07:00` or `2026-03-09T15:00Z`.
    public static func parse(_ text: String) -> Date? {
        for format in formats {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = format
            if let date = formatter.date(from: text) { return date }
        }
        return nil
    }

    /// The canonical UTC form, to the second.
    public static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter.string(from: date)
    }

    public static func seconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970.rounded(.down)) }
    public static func date(_ seconds: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(seconds)) }

    private static let formats: [ISO8601DateFormatter.Options] = [
        [.withInternetDateTime],
        [.withInternetDateTime, .withFractionalSeconds],
        [.withFullDate, .withTime, .withColonSeparatorInTime, .withDashSeparatorInDate, .withTimeZone],
    ]
}
