public import Foundation

/// Whose release-management settings a change is about.
public enum SettingsSubject: Hashable, Codable, Sendable {
    case partner(String)
    case organisation(String)
}

/// The setting a change is about.
public enum ChangedSetting: String, Hashable, Codable, Sendable {
    case schedule
    case allowCustomerOverride = "allow_customer_override"
}

/// The scope within which pending changes coalesce (CAD-8): one setting of one subject. A schedule
/// change and a toggle change of the same organisation are different scopes; both apply.
public struct ChangeScope: Hashable, Codable, Sendable {
    public let subject: SettingsSubject
    public let setting: ChangedSetting

    public init(subject: SettingsSubject, setting: ChangedSetting) {
        self.subject = subject
        self.setting = setting
    }
}

/// An authorised change waiting for its apply-by instant (CAD-8).
public struct ScheduleChangeRequest: Hashable, Codable, Sendable {
    /// The caller's id for the request (the store's row id), used to list what was superseded.
    public let id: String
    public let subject: SettingsSubject
    public let edit: ScheduleEdit
    public let requestedBy: Actor
    public let requestedAt: Date
    /// When the change is applied at the latest (``ChangeTiming``).
    public let applyBy: Date

    public init(id: String, subject: SettingsSubject, edit: ScheduleEdit, requestedBy: Actor, requestedAt: Date, applyBy: Date) {
        self.id = id
        self.subject = subject
        self.edit = edit
        self.requestedBy = requestedBy
        self.requestedAt = requestedAt
        self.applyBy = applyBy
    }

    public var scope: ChangeScope { ChangeScope(subject: subject, setting: edit.setting) }
}

/// The pending changes of one scope folded into the one that is applied and notified (CAD-8).
public struct CoalescedChange: Hashable, Sendable {
    /// The last requested change: the only one applied and notified.
    public let winner: ScheduleChangeRequest
    /// The others, in request order: dropped without notification.
    public let superseded: [ScheduleChangeRequest]

    /// When the group is applied: the earliest apply-by among its changes. A change requested
    /// while an earlier one was pending joins it, so the earlier one's deadline still holds and
    /// the winner is applied then, no later than its own deadline.
    public var applyBy: Date { superseded.map(\.applyBy).reduce(winner.applyBy, min) }

    public var scope: ChangeScope { winner.scope }
}

/// When release-management changes take effect (CAD-8).
public enum ChangeTiming {
    /// A change of cadence or of an override toggle is applied at the earlier of the next
    /// business-day boundary after the request and `windowHours` elapsed hours after it (CAL-4:
    /// "24 hours" is elapsed time). A request on Friday after the boundary is thus applied by
    /// Saturday, 24 hours later, not on Monday.
    public static func applyBy(requestedAt: Date, calendar: BusinessCalendar, windowHours: Int = 24) -> Date {
        min(calendar.nextBoundary(after: requestedAt), requestedAt.addingTimeInterval(TimeInterval(windowHours) * 3_600))
    }

    /// The apply-by instant of a schedule change of a scope, `from` the schedule the scope follows
    /// before the change `to` the one it follows after it (for a reset, the schedule it re-attaches
    /// to). A change of deferral weeks alone, same cadence, takes effect at once (CAD-8).
    public static func applyBy(
        from: Schedule, to: Schedule, requestedAt: Date, calendar: BusinessCalendar, windowHours: Int = 24
    ) -> Date {
        from.cadence == to.cadence ? requestedAt : applyBy(requestedAt: requestedAt, calendar: calendar, windowHours: windowHours)
    }

    /// Coalesces pending changes (CAD-8): per scope, the last requested change wins and the others
    /// are superseded. Changes requested at the same instant keep their order in `pending`, the
    /// later one winning, so pass them in arrival order. Groups come out by apply-by, then scope id.
    public static func coalesce(_ pending: [ScheduleChangeRequest]) -> [CoalescedChange] {
        let groups = Dictionary(grouping: pending.enumerated(), by: \.element.scope)
        return groups.values
            .map { group in
                let ordered = group.sorted { ($0.element.requestedAt, $0.offset) < ($1.element.requestedAt, $1.offset) }.map(\.element)
                return CoalescedChange(winner: ordered[ordered.count - 1], superseded: Array(ordered.dropLast()))
            }
            .sorted { ($0.applyBy, $0.winner.id) < ($1.applyBy, $1.winner.id) }
    }
}
