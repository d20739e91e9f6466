public import Foundation

/// Timing of a distributor order (UPG-4).
public enum UpgradeOrderTiming {
    /// When an order still `ordered` is chased: `orderedAt` + `timeoutHours` elapsed hours
    /// (CAL-4: "24 hours" is elapsed time). At that instant the partner is told to contact the
    /// distributor (`order_unanswered`).
    public static func answerDue(orderedAt: Date, timeoutHours: Int = Policy().orderAnswerTimeoutHours) -> Date {
        orderedAt.addingTimeInterval(TimeInterval(timeoutHours) * 3600)
    }
}

/// When an upgraded organisation's endpoints are upgraded automatically (UPG-5): the partner's
/// policy, with its delay in days or the organisation's own delay.
///
/// A per-organisation override replaces the number of days only: under a `manual` partner policy
/// no time is set whatever the override says, because the partner chose to trigger every endpoint
/// itself.
public struct EndpointUpgradeDelay: Hashable, Sendable {
    public let policy: UpgradePolicy
    /// The delay in force: the organisation's override, else the partner's, else the SPEC's 30.
    public let days: Int

    /// Rejects a negative number of days (`daysOutOfRange`).
    public init(
        policy: UpgradePolicy = .automatic,
        partnerDays: Int? = nil,
        organisationOverrideDays: Int? = nil,
        defaults: Policy = Policy()
    ) throws(UpgradeError) {
        let days = organisationOverrideDays ?? partnerDays ?? defaults.endpointUpgradeDelayDays
        guard days >= 0 else {
            throw UpgradeError(
                .daysOutOfRange, rule: "UPG-5",
                "an endpoint upgrade delay of \(days) days is negative: give 0 or more days")
        }
        self.policy = policy
        self.days = days
    }

    /// `processedAt` + `days` calendar days (CAL-4), moved to the first business-day boundary at or
    /// after it; nil under the `manual` policy (UPG-5).
    public func automaticUpgradeTime(processedAt: Date, calendar: BusinessCalendar) -> Date? {
        guard policy == .automatic else { return nil }
        return calendar.boundary(atOrAfter: calendar.adding(days: days, to: processedAt))
    }
}
