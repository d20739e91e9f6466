/// A holiday of one year: the day the rule names and the day it is observed (CAL-2). Only the
/// observed day stops being a business day.
public struct Holiday: Hashable, Sendable {
    public let name: String
    /// The day the rule names (July 4th), even when it falls on a weekend.
    public let date: LocalDate
    /// The day off: the date itself, or the Friday before / Monday after a weekend date.
    public let observed: LocalDate
}

/// The default holiday set of CAL-2: the eleven US federal holidays by rule (5 U.S.C. 6103), with
/// the weekend shift that applies to the fixed-date ones. The current rule set is applied to every
/// year; there is no history of when each holiday was enacted, because the daemon schedules forward.
///
/// Each rule is a little day-number arithmetic, so callers may evaluate a year whenever they need
/// it instead of keeping a table.
public enum USFederalHolidays {
    /// The eleven holidays whose rule date is in `year`, in date order. New Year's Day is always
    /// the first, even when it is observed on December 31st of the year before (2028-01-01 is a
    /// Saturday, so 2027-12-31 is the day off).
    public static func holidays(in year: Int) -> [Holiday] {
        [
            fixed("New Year's Day", year, 1, 1),
            nth(3, .monday, "Martin Luther King Jr. Day", year, 1),
            nth(3, .monday, "Washington's Birthday", year, 2),
            last(.monday, "Memorial Day", year, 5),
            fixed("Juneteenth", year, 6, 19),
            fixed("Independence Day", year, 7, 4),
            nth(1, .monday, "Labor Day", year, 9),
            nth(2, .monday, "Columbus Day", year, 10),
            fixed("Veterans Day", year, 11, 11),
            nth(4, .thursday, "Thanksgiving", year, 11),
            fixed("Christmas", year, 12, 25),
        ]
    }

    /// A fixed date: a Saturday is observed the Friday before, a Sunday the Monday after.
    private static func fixed(_ name: String, _ year: Int, _ month: Int, _ day: Int) -> Holiday {
        let date = LocalDate(unchecked: year, month: month, day: day)
        let shift = switch date.weekday {
        case .saturday: -1
        case .sunday: 1
        default: 0
        }
        return Holiday(name: name, date: date, observed: date.adding(days: shift))
    }

    /// The `ordinal`-th `weekday` of the month; always a weekday, so observed on the day.
    private static func nth(_ ordinal: Int, _ weekday: Weekday, _ name: String, _ year: Int, _ month: Int) -> Holiday {
        let first = LocalDate(unchecked: year, month: month, day: 1)
        let untilWeekday = (weekday.rawValue - first.weekday.rawValue + 7) % 7
        let date = first.adding(days: untilWeekday + 7 * (ordinal - 1))
        return Holiday(name: name, date: date, observed: date)
    }

    /// The last `weekday` of the month; observed on the day.
    private static func last(_ weekday: Weekday, _ name: String, _ year: Int, _ month: Int) -> Holiday {
        let end = LocalDate(unchecked: year, month: month, day: LocalDate.daysInMonth(year: year, month: month))
        let sinceWeekday = (end.weekday.rawValue - weekday.rawValue + 7) % 7
        let date = end.adding(days: -sinceWeekday)
        return Holiday(name: name, date: date, observed: date)
    }
}
