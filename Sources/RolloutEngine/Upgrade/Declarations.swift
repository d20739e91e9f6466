import Foundation
import GRDB
import RolloutCore
import RolloutStore

/// Billing-day declarations (UPG-9): a monthly legacy declaration on each billing day while a
/// partner still has legacy customers — whether or not it has a programme yet — and one final
/// declaration when its last legacy customer is upgraded.
enum Declarations {
    /// Partners that owe monthly declarations: legacy customers, no final declaration yet.
    private static let declaring = """
        pa.final_declaration_at IS NULL AND EXISTS (
            SELECT 1 FROM organisation_partner op JOIN organisation o ON o.id = op.organisation_id
            WHERE op.partner_id = pa.id AND o.generation = 'legacy')
        """

    /// The billing instants of partners that still owe declarations, strictly after `cursor`;
    /// partners sharing a billing day share one computation.
    static func nextBillingInstant(_ db: Database, after cursor: Date, calendar: BusinessCalendar) throws -> Date? {
        try Int.fetchAll(db, sql: "SELECT DISTINCT pa.billing_day FROM partner pa WHERE \(declaring)")
            .compactMap { try? BillingDay($0).next(after: cursor, calendar: calendar) }.min()
    }

    /// Monthly declarations for every partner whose billing instant fell in (previous, wake].
    static func monthly(_ wake: inout WakeContext) throws {
        let db = wake.db
        let calendar = wake.rules.calendar
        for row in try Row.fetchAll(db, sql: """
            SELECT pa.id, pa.name, pa.locale, pa.billing_day FROM partner pa WHERE \(declaring) ORDER BY pa.id
            """) {
            guard let billingDay = try? BillingDay(row["billing_day"]) else { continue }
            let billing = billingDay.next(after: wake.previous, calendar: calendar)
            guard billing <= wake.wake.at else { continue }
            let partner: String = row["id"]
            guard LegacyDeclarations.onBillingDay(legacyCustomers: try Orders.legacyCustomers(db, partner: partner), finalDeclared: false) != nil
            else { continue }
            let language = try row.decode(Language.self, forColumn: "locale")
            wake.notified(try Outbox.emit(db, Outbox.Notice(
                kind: .monthlyLegacyDeclaration, audience: .partnerAdmins, partner: partner, organisation: nil, language: language,
                values: [.partner: row["name"], .date: NotificationDates.format(billing, language, calendar: calendar)],
                subject: "partner:\(partner)", occurrence: LegacyDeclarations.monthlyOccurrence(billing, calendar: calendar),
                dueAt: billing, facts: NotificationFacts(date: billing)), late: wake.summary.late))
            wake.count("monthly_declaration")
        }
    }

    /// After an organisation of `partner` was upgraded: the final declaration if it was the
    /// partner's last legacy customer.
    static func afterUpgrade(_ wake: inout WakeContext, partner: String, legacyBefore: Int, at instant: Date) throws {
        let db = wake.db
        guard let row = try Row.fetchOne(db, sql: "SELECT pa.name, pa.locale, pa.final_declaration_at FROM partner pa WHERE pa.id = ?",
                                         arguments: [partner]) else { return }
        let after = try Orders.legacyCustomers(db, partner: partner)
        guard LegacyDeclarations.onUpgrade(legacyCustomersBefore: legacyBefore, legacyCustomersAfter: after,
                                           finalDeclared: row["final_declaration_at"] as Int64? != nil) != nil else { return }
        let language = try row.decode(Language.self, forColumn: "locale")
        wake.notified(try Outbox.emit(db, Outbox.Notice(
            kind: .finalLegacyDeclaration, audience: .partnerAdmins, partner: partner, organisation: nil, language: language,
            values: [.partner: row["name"]], subject: "partner:\(partner)", occurrence: LegacyDeclarations.finalOccurrence,
            dueAt: instant), late: wake.summary.late))
        try db.execute(sql: "UPDATE partner SET final_declaration_at = ? WHERE id = ?", arguments: [Instant.seconds(instant), partner])
        try wake.record(.finalDeclaration, subjectKind: "partner", subjectID: partner, partner: partner, before: "legacy customers",
                        after: "final legacy declaration", beforeValue: DecisionValue(legacyCustomers: legacyBefore),
                        afterValue: DecisionValue(declaration: "final", legacyCustomers: after))
        wake.count("final_declaration")
    }
}
