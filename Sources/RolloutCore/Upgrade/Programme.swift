public import Foundation

/// A partner's customer upgrade programme: the three instants of UPG-1.
///
/// Only the validating initialiser builds one, so a `Programme` value always satisfies UPG-1:
/// window start and automatic upgrade are business-day boundaries of the calendar it was checked
/// against, and announcement ≤ window start ≤ automatic upgrade. Equal instants are allowed (an
/// announcement at the window start is a same-time banner).
public struct Programme: Hashable, Sendable {
    /// Banners go to the partner and its legacy customers' admins (UPG-2).
    public let announceAt: Date
    /// Readiness is evaluated and "upgrade now" opens (UPG-3, UPG-4).
    public let windowStartAt: Date
    /// Remaining ready legacy organisations are ordered automatically (UPG-7).
    public let autoUpgradeAt: Date

    /// Where a programme stands at an instant. Each phase starts at its instant, inclusive.
    public enum Phase: String, CaseIterable, Sendable {
        /// Before the announcement: nothing is visible yet.
        case scheduled
        /// Announced; the window has not opened.
        case announced
        /// The window is open: partners may order upgrades of ready organisations (UPG-4).
        case windowOpen = "window_open"
        /// At or after the automatic upgrade instant (UPG-7); ordering stays possible.
        case automaticUpgrade = "automatic_upgrade"
    }

    /// Checks UPG-1 and reports the first rule broken, in this order: window start is a boundary,
    /// automatic upgrade is a boundary, announcement ≤ window start, window start ≤ automatic
    /// upgrade. A time that is not a boundary is rejected with `notABoundary`, its message and
    /// `suggestion` naming the nearest boundary after it.
    public init(announceAt: Date, windowStartAt: Date, autoUpgradeAt: Date, calendar: BusinessCalendar) throws(UpgradeError) {
        try Self.requireBoundary(windowStartAt, named: "window start", calendar: calendar)
        try Self.requireBoundary(autoUpgradeAt, named: "automatic upgrade", calendar: calendar)
        guard announceAt <= windowStartAt else {
            throw UpgradeError(
                .outOfOrder, rule: "UPG-1",
                "announcement \(Instant.format(announceAt)) is after window start \(Instant.format(windowStartAt)): "
                    + "announce at or before the window start")
        }
        guard windowStartAt <= autoUpgradeAt else {
            throw UpgradeError(
                .outOfOrder, rule: "UPG-1",
                "window start \(Instant.format(windowStartAt)) is after automatic upgrade \(Instant.format(autoUpgradeAt)): "
                    + "open the window at or before the automatic upgrade")
        }
        self.announceAt = announceAt
        self.windowStartAt = windowStartAt
        self.autoUpgradeAt = autoUpgradeAt
    }

    public func phase(at instant: Date) -> Phase {
        if instant >= autoUpgradeAt { return .automaticUpgrade }
        if instant >= windowStartAt { return .windowOpen }
        if instant >= announceAt { return .announced }
        return .scheduled
    }

    /// A partner may order the upgrade of a ready organisation at any time from window start on (UPG-4).
    public func acceptsUpgradeRequests(at instant: Date) -> Bool {
        instant >= windowStartAt
    }

    private static func requireBoundary(_ instant: Date, named name: String, calendar: BusinessCalendar) throws(UpgradeError) {
        guard !calendar.isBoundary(instant) else { return }
        let next = calendar.nextBoundary(after: instant)
        let configuration = calendar.configuration
        let time = "\(twoDigits(configuration.boundaryHour)):\(twoDigits(configuration.boundaryMinute))"
        throw UpgradeError(
            .notABoundary, rule: "UPG-1",
            "\(name) \(Instant.format(instant)) is not a business-day boundary (\(time) \(configuration.zone.identifier) "
                + "on a business day); the nearest boundary after it is \(Instant.format(next)): use that instant or another boundary",
            suggestion: next)
    }

    private static func twoDigits(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
}
