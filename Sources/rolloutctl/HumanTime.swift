import Foundation
import RolloutCore

/// Instants and durations as people read them, for human output only: `--json` keeps UTC
/// instants and integer seconds.
struct HumanTime: Sendable {
    let zone: TimeZone

    init(_ calendar: BusinessCalendar.Configuration) {
        zone = calendar.zone
    }

    /// `2026-11-25T16:00:00Z (Wed 08:00 PST)`: UTC for copying into `--at`, the configured
    /// zone's weekday and wall time for reading. The local date is shown when it differs from
    /// the UTC one.
    func instant(_ date: Date) -> String {
        var utc = Calendar(identifier: .gregorian)
        utc.timeZone = TimeZone(identifier: "UTC")!
        var local = utc
        local.timeZone = zone
        let sameDay = utc.component(.day, from: date) == local.component(.day, from: date)
        return "\(Instant.format(date)) (\(self.local(date, withDate: !sameDay)))"
    }

    /// `Wed 2026-11-25 08:00 PST` (or `Wed 08:00 PST` without the date) in the configured zone.
    func local(_ date: Date, withDate: Bool = true) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = zone
        formatter.dateFormat = withDate ? "EEE yyyy-MM-dd HH:mm zzz" : "EEE HH:mm zzz"
        return formatter.string(from: date)
    }

    /// `2 d 4 h`, `3 h 5 min`, `45 s`: the two largest units, never raw seconds past a minute.
    static func duration(_ seconds: Int64) -> String {
        let units: [(size: Int64, name: String)] = [(86_400, "d"), (3_600, "h"), (60, "min"), (1, "s")]
        let value = abs(seconds)
        guard let first = units.firstIndex(where: { value >= $0.size }) else { return "0 s" }
        var text = "\(value / units[first].size) \(units[first].name)"
        if first + 1 < units.count {
            let next = units[first + 1]
            let count = value % units[first].size / next.size
            if count > 0 { text += " \(count) \(next.name)" }
        }
        return text
    }

    /// `in 2 d 4 h`, `8 d 20 h ago`, `now`.
    static func relative(_ date: Date, to now: Date) -> String {
        let seconds = Int64(date.timeIntervalSince(now).rounded())
        if seconds == 0 { return "now" }
        return seconds > 0 ? "in \(duration(seconds))" : "\(duration(seconds)) ago"
    }
}
