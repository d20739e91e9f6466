import Foundation
import GRDB
import RolloutCore
import RolloutStore

/// Distributor orders (UPG-4, UPG-5, UPG-7): placed by a partner's request or automatically,
/// chased when unanswered, and their answers turned into decisions at the next wake.
enum Orders {
    /// Places an order for a ready legacy organisation; the partner is told (UPG-4).
    static func place(_ db: Database, organisation: String, partner: String, automatic: Bool, at instant: Date,
                      policy: Policy, calendar: BusinessCalendar, late: Bool) throws -> (order: Int64, notifications: Int) {
        let answerDue = UpgradeOrderTiming.answerDue(orderedAt: instant, timeoutHours: policy.orderAnswerTimeoutHours)
        try db.execute(sql: """
            INSERT INTO upgrade_order (organisation_id, partner_id, state, automatic, ordered_at, answer_due_at)
            VALUES (?, ?, 'ordered', ?, ?, ?)
            """, arguments: [organisation, partner, automatic, Instant.seconds(instant), Instant.seconds(answerDue)])
        let order = db.lastInsertedRowID
        let language = try Outbox.language(db, partner: partner)
        let name = try String.fetchOne(db, sql: "SELECT name FROM organisation WHERE id = ?", arguments: [organisation]) ?? organisation
        let count = try Outbox.emit(db, Outbox.Notice(
            kind: .orderPlaced, audience: .partnerAdmins, partner: partner, organisation: organisation, language: language,
            values: [.organisation: name, .order: "#\(order)", .deadline: NotificationDates.format(answerDue, language, calendar: calendar)],
            subject: "organisation:\(organisation)", occurrence: "order:\(order)", dueAt: instant,
            facts: NotificationFacts(deadline: answerDue, orderID: order)), late: late)
        return (order, count)
    }

    /// UPG-4: orders still unanswered at their answer deadline: the partner is told to contact
    /// the distributor, once per order.
    static func chase(_ wake: inout WakeContext) throws {
        let db = wake.db
        let due = try Row.fetchAll(db, sql: """
            SELECT u.id, u.organisation_id, u.partner_id, u.ordered_at, u.answer_due_at, o.name FROM upgrade_order u
            JOIN organisation o ON o.id = u.organisation_id
            WHERE u.state = 'ordered' AND u.chased_at IS NULL AND u.answer_due_at <= ? ORDER BY u.id
            """, arguments: [Instant.seconds(wake.wake.at)])
        for row in due {
            let id: Int64 = row["id"], partner: String = row["partner_id"], organisation: String = row["organisation_id"]
            let language = try Outbox.language(db, partner: partner)
            let dueAt = Instant.date(row["answer_due_at"])
            wake.notified(try Outbox.emit(db, Outbox.Notice(
                kind: .orderUnanswered, audience: .partnerAdmins, partner: partner, organisation: organisation, language: language,
                values: [.organisation: row["name"], .order: "#\(id)",
                         .date: NotificationDates.format(Instant.date(row["ordered_at"]), language, calendar: wake.rules.calendar)],
                subject: "organisation:\(organisation)", occurrence: "order:\(id)", dueAt: dueAt,
                facts: NotificationFacts(date: Instant.date(row["ordered_at"]), orderID: id)), late: wake.summary.late))
            try db.execute(sql: "UPDATE upgrade_order SET chased_at = ? WHERE id = ?", arguments: [Instant.seconds(wake.wake.at), id])
            try wake.record(.orderChased, subjectKind: "organisation", subjectID: organisation, partner: partner,
                            organisation: organisation, before: "order #\(id) ordered", after: "unanswered after 24 h: partner told",
                            beforeValue: DecisionValue(order: id, orderState: "ordered"),
                            afterValue: DecisionValue(order: id, orderState: "ordered", reason: "unanswered"))
            wake.count("order_chased")
        }
    }

    /// Applies the distributor answers written since the last wake (UPG-5): on `processed` the
    /// organisation becomes cloud, its first bill falls due on the partner's next billing day and
    /// every endpoint gets its automatic-upgrade time; on `failed` the partner is told.
    static func applyAnswers(_ wake: inout WakeContext) throws {
        let db = wake.db
        let calendar = wake.rules.calendar
        let answers = try Row.fetchAll(db, sql: """
            SELECT u.id, u.organisation_id, u.partner_id, u.state, u.reason, u.answered_at, o.name, o.upgrade_delay_days,
                   p.upgrade_policy, p.upgrade_delay_days AS partner_delay, p.billing_day, p.locale
            FROM upgrade_order u JOIN organisation o ON o.id = u.organisation_id JOIN partner p ON p.id = u.partner_id
            WHERE u.answered_at IS NOT NULL AND u.applied_at IS NULL AND u.answered_at <= ? ORDER BY u.answered_at, u.id
            """, arguments: [Instant.seconds(wake.wake.at)])
        for row in answers {
            let id: Int64 = row["id"], organisation: String = row["organisation_id"], partner: String = row["partner_id"]
            let answeredAt = Instant.date(row["answered_at"])
            let language = try row.decode(Language.self, forColumn: "locale")
            try db.execute(sql: "UPDATE upgrade_order SET applied_at = ? WHERE id = ?", arguments: [Instant.seconds(wake.wake.at), id])
            guard row["state"] as String == "processed" else {
                wake.notified(try Outbox.emit(db, Outbox.Notice(
                    kind: .orderFailed, audience: .partnerAdmins, partner: partner, organisation: organisation, language: language,
                    values: [.organisation: row["name"], .order: "#\(id)", .reason: row["reason"] ?? "-"],
                    subject: "organisation:\(organisation)", occurrence: "order:\(id)", dueAt: answeredAt,
                    facts: NotificationFacts(orderID: id, reason: row["reason"])), late: wake.summary.late))
                // Endpoint upgrades paused by the open order resume now, not at their old
                // instant: the end user keeps the whole deferral period (UPG-4, UPG-6).
                try db.execute(sql: """
                    UPDATE endpoint SET upgrade_at = max(upgrade_at, ?)
                    WHERE organisation_id = ? AND upgrade_state = 'pending' AND upgrade_at IS NOT NULL
                    """, arguments: [Instant.seconds(wake.wake.at), organisation])
                try wake.record(.orderFailed, subjectKind: "organisation", subjectID: organisation, partner: partner,
                                organisation: organisation, before: "order #\(id) ordered", after: "failed: \(row["reason"] ?? "-")",
                                beforeValue: DecisionValue(order: id, orderState: "ordered"),
                                afterValue: DecisionValue(order: id, orderState: "failed", reason: row["reason"]))
                wake.count("order_failed")
                continue
            }
            let legacyBefore = try legacyCustomers(db, partner: partner)
            let delay: EndpointUpgradeDelay, billingDay: BillingDay
            let policy = try row.decode(UpgradePolicy.self, forColumn: "upgrade_policy")
            do throws(UpgradeError) {
                delay = try EndpointUpgradeDelay(policy: policy,
                                                 partnerDays: row["partner_delay"], organisationOverrideDays: row["upgrade_delay_days"],
                                                 defaults: wake.rules.policy)
                billingDay = try BillingDay(row["billing_day"])
            } catch {
                wake.skip("organisation:\(organisation)", rule: error.rule, reason: error.message)
                continue
            }
            let upgradeAt = delay.automaticUpgradeTime(processedAt: answeredAt, calendar: calendar)
            let firstBill = billingDay.firstCloudBillDue(processedAt: answeredAt, calendar: calendar)
            try db.execute(sql: """
                UPDATE organisation SET generation = 'cloud', upgraded_at = ?, first_bill_due_at = ?, upgrade_partner_id = ? WHERE id = ?
                """, arguments: [Instant.seconds(answeredAt), Instant.seconds(firstBill), partner, organisation])
            try db.execute(sql: """
                UPDATE endpoint SET upgrade_state = 'pending', upgrade_at = ?, upgrade_state_at = ?, triggered_at = NULL,
                       deferral_deadline = NULL, next_reminder_at = NULL, failure_reason = NULL
                WHERE organisation_id = ? AND agent_generation = 'legacy' AND \(SQLCondition.desktop("platform"))
                """, arguments: [upgradeAt.map(Instant.seconds), Instant.seconds(wake.wake.at), organisation])
            let endpoints = db.changesCount
            try wake.record(.orderProcessed, subjectKind: "organisation", subjectID: organisation, partner: partner, organisation: organisation,
                            before: "legacy, order #\(id) ordered",
                            after: "cloud; \(endpoints) endpoint(s) " + (upgradeAt.map { "upgrade at \(Instant.format($0))" } ?? "wait for the partner (manual policy)"),
                            beforeValue: DecisionValue(order: id, orderState: "ordered", generation: "legacy"),
                            afterValue: DecisionValue(order: id, orderState: "processed", generation: "cloud", endpoints: endpoints, upgradeAt: upgradeAt))
            wake.count("order_processed")
            wake.count("endpoint_scheduled", endpoints)
            let name: String = row["name"]
            wake.notified(try Outbox.emit(db, Outbox.Notice(
                kind: .orderProcessed, audience: .partnerAdmins, partner: partner, organisation: organisation, language: language,
                values: [.organisation: name, .order: "#\(id)"],
                subject: "organisation:\(organisation)", occurrence: "order:\(id)", dueAt: answeredAt,
                facts: NotificationFacts(orderID: id)), late: wake.summary.late))
            wake.notified(try Outbox.emit(db, Outbox.Notice(
                kind: .firstCloudBillDue, audience: .partnerAdmins, partner: partner, organisation: organisation, language: language,
                values: [.organisation: name, .date: NotificationDates.format(firstBill, language, calendar: calendar)],
                subject: "organisation:\(organisation)", occurrence: IdempotencyKey.occurrence(firstBill), dueAt: answeredAt,
                facts: NotificationFacts(date: firstBill)), late: wake.summary.late))
            try Declarations.afterUpgrade(&wake, partner: partner, legacyBefore: legacyBefore, at: answeredAt)
        }
    }

    /// UPG-7: at the programme's automatic-upgrade instant, and at every boundary after it,
    /// every legacy organisation without an order that is ready gets one; one that is not is
    /// held and the partner told the failing items (again only when they change). An
    /// organisation whose order failed waits for the partner's `upgrade-now`.
    static func automatic(_ wake: inout WakeContext, readiness: [String: Readiness]) throws {
        // Readiness is evaluated at boundaries and programme instants only; between them there
        // is nothing to order.
        guard !readiness.isEmpty else { return }
        let db = wake.db
        let at = Instant.seconds(wake.wake.at)
        // CROSS JOIN keeps the (few) programmes as the outer loop: a planner without statistics
        // would otherwise walk every organisation.
        let candidates = try Row.fetchAll(db, sql: """
            SELECT o.id, o.name, p.partner_id, pa.locale FROM programme p
            CROSS JOIN organisation_partner op ON op.partner_id = p.partner_id
            JOIN organisation o ON o.id = op.organisation_id
            JOIN partner pa ON pa.id = p.partner_id
            WHERE p.auto_upgrade_at <= ?1 AND o.generation = 'legacy'
              AND NOT EXISTS (SELECT 1 FROM upgrade_order u WHERE u.organisation_id = o.id)
              AND op.partner_id = (SELECT min(op2.partner_id) FROM organisation_partner op2 JOIN programme p2 ON p2.partner_id = op2.partner_id
                                   WHERE op2.organisation_id = o.id AND p2.auto_upgrade_at <= ?1)
              AND NOT \(Pauses.organisationHeld(.programme, organisation: "o.id", at: "?1"))
            ORDER BY o.id
            """, arguments: [at])
        for row in candidates {
            let organisation: String = row["id"], partner: String = row["partner_id"]
            guard let checklist = readiness[organisation] else { continue }
            if checklist.isReady {
                let placed = try place(db, organisation: organisation, partner: partner, automatic: true, at: wake.wake.at,
                                       policy: wake.rules.policy, calendar: wake.rules.calendar, late: wake.summary.late)
                wake.notified(placed.notifications)
                try wake.record(.orderPlacedAutomatically, subjectKind: "organisation", subjectID: organisation, partner: partner,
                                organisation: organisation, before: "legacy, ready", after: "order #\(placed.order) placed automatically",
                                beforeValue: DecisionValue(ready: true, generation: "legacy"),
                                afterValue: DecisionValue(order: placed.order, orderState: "ordered"))
                wake.count("order_placed")
            } else {
                let language = try row.decode(Language.self, forColumn: "locale")
                let failing = checklist.failingItems.map(\.name.rawValue).joined(separator: ",")
                let inserted = try Outbox.emit(db, Outbox.Notice(
                    kind: .upgradeHeld, audience: .partnerAdmins, partner: partner, organisation: organisation, language: language,
                    values: [.organisation: row["name"], .items: checklist.failingItemsText(language)],
                    subject: "organisation:\(organisation)", occurrence: "failing:\(failing)", dueAt: wake.wake.at,
                    facts: NotificationFacts(items: checklist.failingItems.map { "\($0.name.rawValue): \($0.reason.text(.en))" })),
                    late: wake.summary.late)
                wake.notified(inserted)
                if inserted > 0 {
                    try wake.record(.upgradeHeld, subjectKind: "organisation", subjectID: organisation, partner: partner,
                                    organisation: organisation, before: "legacy", after: "held: \(failing)",
                                    beforeValue: DecisionValue(generation: "legacy"),
                                    afterValue: DecisionValue(ready: false, failingItems: checklist.failingItems.map(\.name.rawValue)))
                }
                wake.count("organisation_held")
            }
        }
    }

    static func legacyCustomers(_ db: Database, partner: String) throws -> Int {
        try Int.fetchOne(db, sql: """
            SELECT count(*) FROM organisation_partner op JOIN organisation o ON o.id = op.organisation_id
            WHERE op.partner_id = ? AND o.generation = 'legacy'
            """, arguments: [partner]) ?? 0
    }
}
