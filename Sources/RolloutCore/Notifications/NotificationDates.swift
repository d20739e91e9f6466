public import Foundation

/// Instants as notification texts show them (NOT-2): the local date and time in the calendar
/// zone, in the notification's language, e.g. `Monday 9 March 2026, 08:00 PDT` and
/// `lundi 9 mars 2026, 08:00 PDT`.
///
/// Deterministic: names of days and months are spelled here, not taken from the machine locale;
/// the zone abbreviation is the US English short name of the zone at that instant (`PST`, `PDT`,
/// `EST`; `GMT+1` where English has no abbreviation), the same in both languages.
public enum NotificationDates {
    public static func format(_ instant: Date, _ language: Language, calendar: BusinessCalendar) -> String {
        let zone = calendar.configuration.zone
        let day = calendar.localDate(of: instant)
        let secondOfDay = ((Int(instant.timeIntervalSince1970.rounded(.down)) + zone.secondsFromGMT(for: instant)) % 86_400 + 86_400) % 86_400
        let time = "\(twoDigits(secondOfDay / 3600)):\(twoDigits(secondOfDay % 3600 / 60)) \(abbreviation(of: zone, at: instant))"
        switch language {
        case .en:
            return "\(englishWeekdays[day.weekday.rawValue - 1]) \(day.day) \(englishMonths[day.month - 1]) \(day.year), \(time)"
        case .fr:
            return "\(frenchWeekdays[day.weekday.rawValue - 1]) \(day.day == 1 ? "1er" : String(day.day)) "
                + "\(frenchMonths[day.month - 1]) \(day.year), \(time)"
        }
    }

    private static func abbreviation(of zone: TimeZone, at instant: Date) -> String {
        let style: TimeZone.NameStyle = zone.isDaylightSavingTime(for: instant) ? .shortDaylightSaving : .shortStandard
        if let name = zone.localizedName(for: style, locale: Locale(identifier: "en_US")) { return name }
        let offset = zone.secondsFromGMT(for: instant)
        return "UTC\(offset < 0 ? "-" : "+")\(twoDigits(abs(offset) / 3600)):\(twoDigits(abs(offset) % 3600 / 60))"
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    private static let englishWeekdays = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    private static let englishMonths = [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ]
    private static let frenchWeekdays = ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"]
    private static let frenchMonths = [
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ]
}
