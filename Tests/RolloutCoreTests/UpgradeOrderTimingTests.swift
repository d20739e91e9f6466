import Foundation
import RolloutCore
import Testing

@Suite("UPG-4, UPG-5 order timing")
struct UpgradeOrderTimingTests {
    static let calendar = BusinessCalendar()
    static func at(_ text: String) -> Date { Instant.parse(text)! }

    @Test("UPG-4: the answer is due 24 elapsed hours after the order, even across a DST change")
    func answerDue() {
        #expect(UpgradeOrderTiming.answerDue(orderedAt: Self.at("2026-03-10T18:30:00Z")) == Self.at("2026-03-11T18:30:00Z"))
        // 12:00 PST Saturday + 24 h = 13:00 PDT Sunday.
        #expect(UpgradeOrderTiming.answerDue(orderedAt: Self.at("2026-03-07T20:00:00Z")) == Self.at("2026-03-08T20:00:00Z"))
        #expect(UpgradeOrderTiming.answerDue(orderedAt: Self.at("2026-03-07T20:00:00Z"), timeoutHours: 48) == Self.at("2026-03-09T20:00:00Z"))
    }

    @Test("UPG-5: processing + 30 calendar days, moved to the next boundary at or after it")
    func automaticUpgradeTime() throws {
        let delay = try EndpointUpgradeDelay()
        #expect(delay.days == 30)
        // 10:00 PDT Tue 20 Oct + 30 days = 10:00 PST Thu 19 Nov, past that day's boundary → Fri 20 Nov 08:00 PST.
        #expect(delay.automaticUpgradeTime(processedAt: Self.at("2026-10-20T17:00:00Z"), calendar: Self.calendar) == Self.at("2026-11-20T16:00:00Z"))
        #expect(delay.automaticUpgradeTime(processedAt: Self.at("2026-10-20T18:00:00Z"), calendar: Self.calendar) == Self.at("2026-11-20T16:00:00Z"))
        // 08:00 PDT + 30 days = 08:00 PST on a business day: already a boundary, kept.
        #expect(delay.automaticUpgradeTime(processedAt: Self.at("2026-10-20T15:00:00Z"), calendar: Self.calendar) == Self.at("2026-11-19T16:00:00Z"))
        // 07:00 PDT Tue 27 Oct + 30 days = 07:00 PST on Thanksgiving (26 Nov) → Fri 27 Nov 08:00 PST.
        #expect(delay.automaticUpgradeTime(processedAt: Self.at("2026-10-27T14:00:00Z"), calendar: Self.calendar) == Self.at("2026-11-27T16:00:00Z"))
    }

    @Test("UPG-5: the organisation's override replaces the partner's days")
    func override() throws {
        let partner = try EndpointUpgradeDelay(partnerDays: 14)
        #expect(partner.days == 14)
        let organisation = try EndpointUpgradeDelay(partnerDays: 14, organisationOverrideDays: 0)
        #expect(organisation.days == 0)
        // Processed Wednesday 4 March at 09:00 PST, no delay → Thursday 5 March 08:00 PST.
        #expect(organisation.automaticUpgradeTime(processedAt: Self.at("2026-03-04T17:00:00Z"), calendar: Self.calendar) == Self.at("2026-03-05T16:00:00Z"))
        let error = #expect(throws: UpgradeError.self) { try EndpointUpgradeDelay(organisationOverrideDays: -1) }
        #expect(error?.code == .daysOutOfRange)
        #expect(error?.rule == "UPG-5")
    }

    @Test("UPG-5: with the manual policy no time is set, whatever the days")
    func manual() throws {
        #expect(try EndpointUpgradeDelay(policy: .manual).automaticUpgradeTime(processedAt: Self.at("2026-10-20T17:00:00Z"), calendar: Self.calendar) == nil)
        #expect(try EndpointUpgradeDelay(policy: .manual, organisationOverrideDays: 5)
            .automaticUpgradeTime(processedAt: Self.at("2026-10-20T17:00:00Z"), calendar: Self.calendar) == nil)
    }

    @Test("UPG-5: the first cloud bill is due on the first billing day after the processing date, at 08:00 local")
    func firstCloudBill() throws {
        let fifteenth = try BillingDay(15)
        // Processed Monday 9 March → Sunday 15 March 08:00 PDT (a billing day need not be a business day).
        #expect(fifteenth.firstCloudBillDue(processedAt: Self.at("2026-03-09T17:00:00Z"), calendar: Self.calendar) == Self.at("2026-03-15T15:00:00Z"))
        // Processed on the billing day itself, even before 08:00 → next month's.
        #expect(fifteenth.firstCloudBillDue(processedAt: Self.at("2026-03-15T14:00:00Z"), calendar: Self.calendar) == Self.at("2026-04-15T15:00:00Z"))
        // 23:30 PDT on 14 March is the 15th in UTC but the 14th locally → the 15th.
        #expect(fifteenth.firstCloudBillDue(processedAt: Self.at("2026-03-15T06:30:00Z"), calendar: Self.calendar) == Self.at("2026-03-15T15:00:00Z"))
        // December rolls over to January, in standard time.
        #expect(try BillingDay(5).firstCloudBillDue(processedAt: Self.at("2026-12-20T20:00:00Z"), calendar: Self.calendar) == Self.at("2027-01-05T16:00:00Z"))
    }
}
