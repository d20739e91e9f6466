public import Foundation

/// A partner's billing day of the month, 1...28 so that every month has it (SPEC §1, UPG-5, UPG-9).
///
/// A billing day falls due at the calendar's boundary time (08:00 in `America/Los_Angeles` by
/// default) on that day of the month, in the calendar zone, whether or not the day is a business
/// day: bills and declarations follow the calendar month, and on business days they coincide with
/// the boundary wake instead of waking the daemon at midnight.
public struct BillingDay: Hashable, Sendable {
    public let day: Int

    /// Rejects a day outside 1...28 (`billingDayOutOfRange`).
    public init(_ day: Int) throws(UpgradeError) {
        guard (1...28).contains(day) else {
            throw UpgradeError(
                .billingDayOutOfRange, rule: "UPG-9",
                "billing day \(day) is out of range: give a day of the month between 1 and 28")
        }
        self.day = day
    }

    /// The first billing-day instant strictly after `instant`: the schedule of monthly
    /// declarations (UPG-9), which the daemon asks from its last processed wake.
    public func next(after instant: Date, calendar: BusinessCalendar) -> Date {
        let today = calendar.localDate(of: instant)
        let thisMonth = due(year: today.year, month: today.month, calendar: calendar)
        if thisMonth > instant { return thisMonth }
        let (year, month) = Self.month(after: today.year, today.month)
        return due(year: year, month: month, calendar: calendar)
    }

    /// When the first cloud bill is due after an order is processed (UPG-5): the first billing day
    /// whose local date is strictly after the processing date. An order processed on the billing
    /// day itself, even before the billing time, waits for next month's: that day's billing cycle
    /// had already started.
    public func firstCloudBillDue(processedAt: Date, calendar: BusinessCalendar) -> Date {
        let processed = calendar.localDate(of: processedAt)
        let (year, month) = processed.day < day ? (processed.year, processed.month) : Self.month(after: processed.year, processed.month)
        return due(year: year, month: month, calendar: calendar)
    }

    /// The billing instant in a month: the boundary time on `day`, in the calendar zone.
    public func due(year: Int, month: Int, calendar: BusinessCalendar) -> Date {
        calendar.boundaryTime(on: LocalDate(unchecked: year, month: month, day: day))
    }

    private static func month(after year: Int, _ month: Int) -> (year: Int, month: Int) {
        month == 12 ? (year + 1, 1) : (year, month + 1)
    }
}

/// The legacy declarations a partner owes its distributor (UPG-9).
///
/// Monthly: on each billing day while the partner has legacy customers and has not made its final
/// declaration. Final: once, when the number of legacy customers drops to zero, due at that instant
/// (the processing of the last order); after it, no more monthly ones even if a legacy customer
/// appears again. Idempotency occurrences: the local month `YYYY-MM` for monthly ones, so a billing
/// day moved within a month cannot produce a second one; `final` for the final one.
public enum LegacyDeclarations {
    /// The occurrence of the final declaration in its idempotency key (NOT-1).
    public static let finalOccurrence = "final"

    /// `monthly_legacy_declaration` on a billing day, or nil.
    public static func onBillingDay(legacyCustomers: Int, finalDeclared: Bool) -> NotificationKind? {
        legacyCustomers > 0 && !finalDeclared ? .monthlyLegacyDeclaration : nil
    }

    /// `final_legacy_declaration` when an upgrade took the partner's last legacy customer, or nil.
    public static func onUpgrade(legacyCustomersBefore: Int, legacyCustomersAfter: Int, finalDeclared: Bool) -> NotificationKind? {
        legacyCustomersBefore > 0 && legacyCustomersAfter == 0 && !finalDeclared ? .finalLegacyDeclaration : nil
    }

    /// The occurrence of the monthly declaration due at `billingInstant`: its local month, `YYYY-MM`.
    public static func monthlyOccurrence(_ billingInstant: Date, calendar: BusinessCalendar) -> String {
        String(calendar.localDate(of: billingInstant).description.prefix(7))
    }
}

extension BusinessCalendar {
    /// The instant the zone's clock shows the boundary time on `day`, business day or not. Built
    /// from the next boundary and a calendar-day shift (CAL-4), so a boundary time that `day` skips
    /// or repeats is resolved the way `adding(days:to:)` resolves it.
    func boundaryTime(on day: LocalDate) -> Date {
        let anchor = nextBoundary(after: Date(timeIntervalSince1970: TimeInterval(day.dayNumber) * 86_400))
        return adding(days: day.dayNumber - localDate(of: anchor).dayNumber, to: anchor)
    }
}
