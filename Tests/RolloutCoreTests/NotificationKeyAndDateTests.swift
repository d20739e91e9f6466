import Foundation
import RolloutCore
import Testing

@Suite("NOT-1 idempotency keys, NOT-2 dates in texts")
struct NotificationKeyAndDateTests {
    static let calendar = BusinessCalendar()
    static func at(_ text: String) -> Date { Instant.parse(text)! }

    @Test("canonical form is kind|subject|occurrence, an instant as Unix seconds")
    func canonical() {
        let key = IdempotencyKey(kind: .endpointUpgradeReminder, subject: "endpoint:e-4", occurrence: IdempotencyKey.occurrence(Self.at("2026-03-09T15:00:00Z")))
        #expect(key.canonical == "endpoint_upgrade_reminder|endpoint:e-4|1773068400")
        #expect(key.description == key.canonical)
        #expect(IdempotencyKey(kind: .finalLegacyDeclaration, subject: "partner:p-1", occurrence: "final").canonical
            == "final_legacy_declaration|partner:p-1|final")
    }

    @Test("| and \\ in fields are escaped, so different triples never share a key")
    func escaping() {
        #expect(IdempotencyKey(kind: .orderPlaced, subject: "organisation:a|b", occurrence: "c\\d").canonical
            == "order_placed|organisation:a\\|b|c\\\\d")
        let left = IdempotencyKey(kind: .orderPlaced, subject: "x|y", occurrence: "z")
        let right = IdempotencyKey(kind: .orderPlaced, subject: "x", occurrence: "y|z")
        #expect(left.canonical != right.canonical)
        let slashLeft = IdempotencyKey(kind: .orderPlaced, subject: "x\\", occurrence: "|z")
        let slashRight = IdempotencyKey(kind: .orderPlaced, subject: "x\\|", occurrence: "z")
        #expect(slashLeft.canonical != slashRight.canonical)
    }

    @Test("same triple, same key; any field different, different key")
    func identity() {
        let key = IdempotencyKey(kind: .orderUnanswered, subject: "organisation:o-1", occurrence: "order:17")
        #expect(key == IdempotencyKey(kind: .orderUnanswered, subject: "organisation:o-1", occurrence: "order:17"))
        #expect(key.canonical != IdempotencyKey(kind: .orderPlaced, subject: "organisation:o-1", occurrence: "order:17").canonical)
        #expect(key.canonical != IdempotencyKey(kind: .orderUnanswered, subject: "organisation:o-2", occurrence: "order:17").canonical)
        #expect(key.canonical != IdempotencyKey(kind: .orderUnanswered, subject: "organisation:o-1", occurrence: "order:18").canonical)
    }

    @Test("dates render in the calendar zone, in each language, with the zone's abbreviation at that instant")
    func dates() {
        #expect(NotificationDates.format(Self.at("2026-03-09T15:00:00Z"), .en, calendar: Self.calendar) == "Monday 9 March 2026, 08:00 PDT")
        #expect(NotificationDates.format(Self.at("2026-03-09T15:00:00Z"), .fr, calendar: Self.calendar) == "lundi 9 mars 2026, 08:00 PDT")
        #expect(NotificationDates.format(Self.at("2026-11-20T16:00:00Z"), .en, calendar: Self.calendar) == "Friday 20 November 2026, 08:00 PST")
        #expect(NotificationDates.format(Self.at("2026-08-01T16:05:00Z"), .fr, calendar: Self.calendar) == "samedi 1er août 2026, 09:05 PDT")
        // 06:30 UTC on 15 March is still 14 March in Los Angeles.
        #expect(NotificationDates.format(Self.at("2026-03-15T06:30:00Z"), .en, calendar: Self.calendar) == "Saturday 14 March 2026, 23:30 PDT")
        #expect(NotificationDates.format(Self.at("2027-01-01T08:00:00Z"), .fr, calendar: Self.calendar) == "vendredi 1er janvier 2027, 00:00 PST")
    }

    @Test("dates follow the configured zone")
    func otherZone() {
        let newYork = BusinessCalendar(.init(zone: TimeZone(identifier: "America/New_York")!))
        #expect(NotificationDates.format(Self.at("2026-12-24T17:00:00Z"), .en, calendar: newYork) == "Thursday 24 December 2026, 12:00 EST")
        #expect(NotificationDates.format(Self.at("2026-12-24T17:00:00Z"), .fr, calendar: newYork) == "jeudi 24 décembre 2026, 12:00 EST")
    }
}
