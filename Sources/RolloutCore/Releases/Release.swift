public import Foundation

/// A vendor release of the desktop app (SPEC §1): its version, the vendor's automatic date, the
/// platforms it ships a build for, and whether it is critical.
public struct Release: Hashable, Sendable, CustomStringConvertible {
    public let version: Version
    /// The vendor's automatic date: the instant the release becomes effective under `automatic`.
    public let automaticDate: Date
    /// A critical release is effective at its automatic date whatever the schedule (CAD-2).
    public let critical: Bool
    /// The platforms the release ships a build for; an endpoint on any other platform skips it (CAD-2).
    public let platforms: Set<Platform>

    public init(version: Version, automaticDate: Date, critical: Bool = false, platforms: Set<Platform>) {
        self.version = version
        self.automaticDate = automaticDate
        self.critical = critical
        self.platforms = platforms
    }

    /// The instant the release becomes effective under `schedule` (CAD-2): its automatic date plus
    /// the schedule's deferral, counted in calendar weeks of the calendar's zone so the local wall
    /// time is kept across a DST change (CAL-4). A critical release ignores the deferral.
    public func effectiveInstant(under schedule: Schedule, calendar: BusinessCalendar) -> Date {
        critical ? automaticDate : calendar.adding(weeks: schedule.deferralWeeks, to: automaticDate)
    }

    /// Whether the release is effective under `schedule` at `instant` (effective at or before it, CAD-2).
    public func isEffective(at instant: Date, under schedule: Schedule, calendar: BusinessCalendar) -> Bool {
        effectiveInstant(under: schedule, calendar: calendar) <= instant
    }

    public var description: String { "\(version)\(critical ? " (critical)" : "")" }
}
