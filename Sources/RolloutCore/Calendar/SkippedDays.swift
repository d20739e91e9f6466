public import Foundation

extension BusinessCalendar {
    /// A configured weekday that is not a business day, and why (`rolloutctl calendar` names
    /// each one it skips, as `systemd-analyze calendar` names its iterations).
    public struct SkippedDay: Equatable, Sendable {
        public let date: LocalDate
        /// The holiday's name (CAL-2), or `holiday added in the configuration`.
        public let reason: String
    }

    /// The configured weekdays strictly between the local dates of two instants that are not
    /// business days, oldest first.
    public func skippedDays(after start: Date, before end: Date) -> [SkippedDay] {
        let last = localDate(of: end)
        var day = localDate(of: start).adding(days: 1)
        var skipped: [SkippedDay] = []
        while day < last {
            if configuration.weekdays.contains(day.weekday), !isBusinessDay(day) {
                skipped.append(SkippedDay(date: day, reason: holiday(on: day)?.name ?? "holiday added in the configuration"))
            }
            day = day.adding(days: 1)
        }
        return skipped
    }
}

extension BusinessCalendar {
    /// Every local date of the zone from the one of `start` through the one of `end`.
    public func localDates(from start: Date, through end: Date) -> [LocalDate] {
        let last = localDate(of: end)
        var day = localDate(of: start)
        var days: [LocalDate] = []
        while day <= last {
            days.append(day)
            day = day.adding(days: 1)
        }
        return days
    }
}

extension LocalDate {
    /// The English three-letter weekday (`Mon`), as systemd prints it.
    public var weekdayAbbreviation: String {
        ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][weekday.rawValue - 1]
    }
}
