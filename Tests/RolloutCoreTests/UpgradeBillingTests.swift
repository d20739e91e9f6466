import Foundation
import RolloutCore
import Testing

@Suite("UPG-9 billing days and legacy declarations")
struct UpgradeBillingTests {
    static let calendar = BusinessCalendar()
    static func at(_ text: String) -> Date { Instant.parse(text)! }

    @Test("billing days are 1 to 28")
    func bounds() throws {
        #expect(try BillingDay(1).day == 1)
        #expect(try BillingDay(28).day == 28)
        for day in [0, 29, 31, -3] {
            let error = #expect(throws: UpgradeError.self) { try BillingDay(day) }
            #expect(error?.code == .billingDayOutOfRange)
            #expect(error?.message.contains("between 1 and 28") == true)
        }
    }

    @Test("the next billing instant is strictly after the given instant, at 08:00 local across DST")
    func next() throws {
        let fifteenth = try BillingDay(15)
        #expect(fifteenth.next(after: Self.at("2026-03-15T14:59:59Z"), calendar: Self.calendar) == Self.at("2026-03-15T15:00:00Z"))
        #expect(fifteenth.next(after: Self.at("2026-03-15T15:00:00Z"), calendar: Self.calendar) == Self.at("2026-04-15T15:00:00Z"))
        #expect(fifteenth.next(after: Self.at("2026-12-20T00:00:00Z"), calendar: Self.calendar) == Self.at("2027-01-15T16:00:00Z"))
        // 1 November 2026 is the day the clocks go back: 08:00 there is standard time.
        #expect(try BillingDay(1).next(after: Self.at("2026-10-15T00:00:00Z"), calendar: Self.calendar) == Self.at("2026-11-01T16:00:00Z"))
        // 8 March 2026, the day the clocks go forward: 08:00 is daylight time.
        #expect(try BillingDay(8).next(after: Self.at("2026-03-01T00:00:00Z"), calendar: Self.calendar) == Self.at("2026-03-08T15:00:00Z"))
        #expect(fifteenth.due(year: 2026, month: 2, calendar: Self.calendar) == Self.at("2026-02-15T16:00:00Z"))
    }

    @Test("monthly declaration on each billing day while the partner has legacy customers and made no final one")
    func monthly() {
        #expect(LegacyDeclarations.onBillingDay(legacyCustomers: 3, finalDeclared: false) == .monthlyLegacyDeclaration)
        #expect(LegacyDeclarations.onBillingDay(legacyCustomers: 0, finalDeclared: false) == nil)
        #expect(LegacyDeclarations.onBillingDay(legacyCustomers: 2, finalDeclared: true) == nil)
        // Occurrence is the local month: 23:00 PDT on 30 April is still April.
        #expect(LegacyDeclarations.monthlyOccurrence(Self.at("2026-04-15T15:00:00Z"), calendar: Self.calendar) == "2026-04")
        #expect(LegacyDeclarations.monthlyOccurrence(Self.at("2026-05-01T06:00:00Z"), calendar: Self.calendar) == "2026-04")
    }

    @Test("one final declaration when the last legacy customer is upgraded, none otherwise")
    func final() {
        #expect(LegacyDeclarations.onUpgrade(legacyCustomersBefore: 1, legacyCustomersAfter: 0, finalDeclared: false) == .finalLegacyDeclaration)
        #expect(LegacyDeclarations.onUpgrade(legacyCustomersBefore: 3, legacyCustomersAfter: 0, finalDeclared: false) == .finalLegacyDeclaration)
        #expect(LegacyDeclarations.onUpgrade(legacyCustomersBefore: 2, legacyCustomersAfter: 1, finalDeclared: false) == nil)
        #expect(LegacyDeclarations.onUpgrade(legacyCustomersBefore: 0, legacyCustomersAfter: 0, finalDeclared: false) == nil)
        #expect(LegacyDeclarations.onUpgrade(legacyCustomersBefore: 1, legacyCustomersAfter: 0, finalDeclared: true) == nil)
        #expect(LegacyDeclarations.finalOccurrence == "final")
    }

    @Test("a partner's months: monthly while legacy, then one final, then nothing, even if a legacy customer reappears")
    func sequence() throws {
        let billing = try BillingDay(10)
        var legacy = 2
        var finalDeclared = false
        var emitted: [(NotificationKind, Date)] = []
        var cursor = Self.at("2026-03-01T00:00:00Z")
        // Upgrades processed: one in March, the last in April, then a legacy customer appears in June.
        let events: [(at: Date, change: Int)] = [
            (Self.at("2026-03-20T18:00:00Z"), -1), (Self.at("2026-04-22T18:00:00Z"), -1), (Self.at("2026-06-02T18:00:00Z"), +1),
        ]
        for _ in 0..<5 {
            let due = billing.next(after: cursor, calendar: Self.calendar)
            for event in events where event.at > cursor && event.at <= due {
                let before = legacy
                legacy += event.change
                if let kind = LegacyDeclarations.onUpgrade(legacyCustomersBefore: before, legacyCustomersAfter: legacy, finalDeclared: finalDeclared) {
                    emitted.append((kind, event.at))
                    finalDeclared = true
                }
            }
            if let kind = LegacyDeclarations.onBillingDay(legacyCustomers: legacy, finalDeclared: finalDeclared) {
                emitted.append((kind, due))
            }
            cursor = due
        }
        #expect(emitted.map(\.0) == [.monthlyLegacyDeclaration, .monthlyLegacyDeclaration, .finalLegacyDeclaration])
        #expect(emitted.map(\.1) == [Self.at("2026-03-10T15:00:00Z"), Self.at("2026-04-10T15:00:00Z"), Self.at("2026-04-22T18:00:00Z")])
    }
}
