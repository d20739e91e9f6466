public import Foundation

/// Business days and business-day boundaries (CAL-1, CAL-2, CAL-3) and calendar durations (CAL-4)
/// in one configured zone. A pure value: every answer is computed from its arguments and the
/// configuration, never from the current time.
///
/// Nothing is cached: a holiday question evaluates at most two years of rules, which is a few
/// dozen integer operations, and a boundary search steps a day at a time with two or three
/// time-zone lookups per day.
public struct BusinessCalendar: Sendable {
    /// Which days are holidays (CAL-2). The non-business days are the observed dates of the rule
    /// set, plus `added`, minus `removed`.
    public struct Holidays: Sendable, Equatable {
        /// The US federal rule set (`USFederalHolidays`); false switches it off.
        public var usFederal: Bool = true
        /// Extra non-business days, honoured even when the rule set is off.
        public var added: Set<LocalDate> = []
        /// Days that stay business days although a rule names them or they are `added`. A rule is
        /// matched on its observed date: to keep Friday 2026-07-03 open, remove 2026-07-03.
        public var removed: Set<LocalDate> = []

        public init(usFederal: Bool = true, added: Set<LocalDate> = [], removed: Set<LocalDate> = []) {
            self.usFederal = usFederal
            self.added = added
            self.removed = removed
        }
    }

    /// The zone, the local time of a boundary and the working weekdays (CAL-1), and holidays (CAL-2).
    /// The config loader validates ranges and reports them; `BusinessCalendar.init` only traps on
    /// values it cannot work with.
    public struct Configuration: Sendable, Equatable {
        public var zone: TimeZone = TimeZone(identifier: "America/Los_Angeles")!
        /// 0...23
        public var boundaryHour: Int = 8
        /// 0...59
        public var boundaryMinute: Int = 0
        /// Must not be empty: with no working weekday there is no next boundary.
        public var weekdays: Set<Weekday> = [.monday, .tuesday, .wednesday, .thursday, .friday]
        public var holidays: Holidays = .init()

        public init(
            zone: TimeZone = TimeZone(identifier: "America/Los_Angeles")!,
            boundaryHour: Int = 8,
            boundaryMinute: Int = 0,
            weekdays: Set<Weekday> = [.monday, .tuesday, .wednesday, .thursday, .friday],
            holidays: Holidays = .init()
        ) {
            self.zone = zone
            self.boundaryHour = boundaryHour
            self.boundaryMinute = boundaryMinute
            self.weekdays = weekdays
            self.holidays = holidays
        }
    }

    public let configuration: Configuration

    /// Seconds after local midnight at which a boundary falls.
    private let boundarySecond: Double

    private static let secondsPerDay = 86_400.0

    /// Traps when the hour or minute is out of range or no weekday is configured: those are
    /// programming errors here, because the config loader must reject them first (DMN-7).
    public init(_ configuration: Configuration = .init()) {
        precondition((0...23).contains(configuration.boundaryHour), "boundary hour must be 0...23")
        precondition((0...59).contains(configuration.boundaryMinute), "boundary minute must be 0...59")
        precondition(!configuration.weekdays.isEmpty, "at least one weekday must be a business day")
        self.configuration = configuration
        boundarySecond = Double(configuration.boundaryHour * 3600 + configuration.boundaryMinute * 60)
    }

    // MARK: Days (CAL-2)

    /// The day the zone's wall calendar shows at `instant`.
    public func localDate(of instant: Date) -> LocalDate {
        LocalDate(dayNumber: Int((wallSeconds(of: instant) / Self.secondsPerDay).rounded(.down)))
    }

    /// A configured weekday that is not a non-business day of `Holidays` (CAL-2).
    public func isBusinessDay(_ day: LocalDate) -> Bool {
        guard configuration.weekdays.contains(day.weekday) else { return false }
        let holidays = configuration.holidays
        if holidays.removed.contains(day) { return true }
        return !holidays.added.contains(day) && holiday(on: day) == nil
    }

    /// The rule-set holiday observed on `day`, if any: nil when the rule set is off or the day is
    /// `removed`. An `added` day is a non-business day without being a named holiday, so it is nil too.
    public func holiday(on day: LocalDate) -> Holiday? {
        let holidays = configuration.holidays
        guard holidays.usFederal, !holidays.removed.contains(day) else { return nil }
        // Observation moves a date by at most one day, so only this year's rules can land on `day`,
        // except New Year's Day of next year, observed on December 31st when it is a Saturday.
        var candidates = USFederalHolidays.holidays(in: day.year)
        if day.month == 12, day.day == 31 {
            candidates += USFederalHolidays.holidays(in: day.year + 1)
        }
        return candidates.first { $0.observed == day }
    }

    // MARK: Boundaries (CAL-1, CAL-3)

    /// True when the zone's clock reads exactly the boundary time at `instant` on a business day.
    /// In a fall-back overlap both readings of the boundary time are boundaries by this test;
    /// `nextBoundary(after:)` says which one the schedule actually elapses at.
    public func isBoundary(_ instant: Date) -> Bool {
        let wall = wallSeconds(of: instant)
        let dayNumber = (wall / Self.secondsPerDay).rounded(.down)
        return wall - dayNumber * Self.secondsPerDay == boundarySecond
            && isBusinessDay(LocalDate(dayNumber: Int(dayNumber)))
    }

    /// The first boundary strictly after `instant`. Holidays aside, this is exactly systemd's next
    /// elapse of the calendar expression `Mon..Fri *-*-* 08:00:00 America/Los_Angeles` (CAL-3), and
    /// systemd matches wall-clock fields in the zone, which settles the DST cases:
    /// - the search starts after the wall-clock reading of `instant`: a day whose clock has already
    ///   shown the boundary time at `instant` is done, whatever the UTC offset;
    /// - a boundary time that does not exist (spring-forward gap, e.g. 02:30 in Los Angeles on
    ///   2026-03-08) gives no boundary that day; systemd does not move it to 03:30;
    /// - a boundary time that exists twice (fall-back overlap, e.g. 01:30 on 2026-11-01) elapses
    ///   at its first occurrence (08:30Z, daylight time), and then not again that day. Only a search
    ///   starting inside the repeated hour, after the clock went back and before it shows the
    ///   boundary time again (09:00Z...09:29:59Z), returns the second occurrence (09:30Z), as systemd does.
    ///   So a caller that must not fire a boundary twice (DMN-4) searches from the last boundary it
    ///   processed, not from a later wake inside that hour.
    /// The default 08:00 in Los Angeles never meets either case; other zones and hours can.
    public func nextBoundary(after instant: Date) -> Date {
        let wall = wallSeconds(of: instant)
        var dayNumber = Int((wall / Self.secondsPerDay).rounded(.down))
        if wall - Double(dayNumber) * Self.secondsPerDay >= boundarySecond { dayNumber += 1 }
        while true {
            if isBusinessDay(LocalDate(dayNumber: dayNumber)),
               let boundary = readings(ofWall: Double(dayNumber) * Self.secondsPerDay + boundarySecond)
                   .instants.first(where: { $0 > instant }) {
                return boundary
            }
            dayNumber += 1
        }
    }

    /// `instant` itself when it is a boundary, else the next one (UPG-1, UPG-5: "moved to the first
    /// business-day boundary at or after it").
    public func boundary(atOrAfter instant: Date) -> Date {
        isBoundary(instant) ? instant : nextBoundary(after: instant)
    }

    /// The `count` boundaries that follow `instant`, in order.
    public func boundaries(after instant: Date, count: Int) -> [Date] {
        var result: [Date] = []
        var cursor = instant
        while result.count < count {
            cursor = nextBoundary(after: cursor)
            result.append(cursor)
        }
        return result
    }

    /// The boundaries in `(start, end]`, in order: the ones a daemon that last woke at `start` and
    /// now wakes at `end` has to process (DMN-2 catch-up).
    public func boundaries(after start: Date, through end: Date) -> [Date] {
        var result: [Date] = []
        var cursor = nextBoundary(after: start)
        while cursor <= end {
            result.append(cursor)
            cursor = nextBoundary(after: cursor)
        }
        return result
    }

    // MARK: Calendar durations (CAL-4)

    /// The same wall-clock time `days` calendar days later (or earlier) in the zone (CAL-4): 30 days
    /// after 10:00 PDT is 10:00 PST, 721 elapsed hours. "24 hours" is elapsed time: callers add
    /// 86_400 s instead. When the target day's clock never shows that time (spring-forward gap),
    /// the result is as far past the gap's start as the time was: 02:30 lands on 03:30 daylight
    /// time (RFC 5545's rule). When it shows it twice (fall back), the first occurrence is taken.
    public func adding(days: Int, to instant: Date) -> Date {
        let reading = readings(ofWall: wallSeconds(of: instant) + Double(days) * Self.secondsPerDay)
        return reading.instants.first ?? reading.pastGap
    }

    /// `weeks` × 7 calendar days (CAL-4): deferrals in weeks (CAD-2) keep their local time across DST.
    public func adding(weeks: Int, to instant: Date) -> Date {
        adding(days: 7 * weeks, to: instant)
    }

    // MARK: Wall clock

    /// The zone's wall-clock reading at `instant`, as seconds since 1970-01-01T00:00 on that clock.
    private func wallSeconds(of instant: Date) -> Double {
        instant.timeIntervalSince1970 + Double(configuration.zone.secondsFromGMT(for: instant))
    }

    /// When the zone's clock reads `wall`: `instants` holds one instant normally, two in a
    /// fall-back overlap (earlier first), none in a spring-forward gap. `pastGap` reads `wall` with
    /// the smallest UTC offset in force around it, which for a gap is the one before it.
    private func readings(ofWall wall: Double) -> (instants: [Date], pastGap: Date) {
        let zone = configuration.zone
        // Every UTC offset in use lies within ±18 hours, so every instant the clock could read
        // `wall` at is in this window, and so is every offset change that matters.
        let window = 18.0 * 3600
        let end = Date(timeIntervalSince1970: wall + window)
        var cursor = Date(timeIntervalSince1970: wall - window)
        var offsets: Set<Int> = [zone.secondsFromGMT(for: cursor)]
        while let change = zone.nextDaylightSavingTimeTransition(after: cursor), change > cursor, change <= end {
            offsets.insert(zone.secondsFromGMT(for: change))
            cursor = change
        }
        let instants = offsets
            .filter { zone.secondsFromGMT(for: Date(timeIntervalSince1970: wall - Double($0))) == $0 }
            .map { Date(timeIntervalSince1970: wall - Double($0)) }
            .sorted()
        return (instants, Date(timeIntervalSince1970: wall - Double(offsets.min()!)))
    }
}
