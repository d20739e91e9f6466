public import Foundation
import GRDB
public import RolloutCore
public import RolloutStore

/// What partners, distributors and devices ask of the upgrade programme, checked against the
/// rules when asked; refused requests write nothing and say why.
extension Store {
    /// Creates (or, before its announcement, replaces) a partner's programme (UPG-1).
    public func createProgramme(partner: String, announceAt: Date, windowStartAt: Date, autoUpgradeAt: Date,
                                at instant: Date, calendar: BusinessCalendar) throws -> Programme {
        let programme: Programme
        do throws(UpgradeError) {
            programme = try Programme(announceAt: announceAt, windowStartAt: windowStartAt, autoUpgradeAt: autoUpgradeAt, calendar: calendar)
        } catch {
            throw StoreError(code: .refused, message: "refused: \(error.message) (\(error.rule))")
        }
        return try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM partner WHERE id = ?)", arguments: [partner]) == true else {
                throw StoreError(code: .notFound, message: "unknown partner '\(partner)'")
            }
            // Announced (by a wake, or due already): partners and customers have seen the dates.
            if let existing = try Row.fetchOne(db, sql: "SELECT announce_at, announced_at FROM programme WHERE partner_id = ?", arguments: [partner]),
               existing["announce_at"] <= Instant.seconds(instant) || existing["announced_at"] as Int64? != nil {
                let announce: Int64 = existing["announce_at"]
                throw StoreError(code: .refused, message: "refused: partner '\(partner)' already has a programme, announced at \(Instant.format(Instant.date(announce))); it can no longer be replaced")
            }
            try db.execute(sql: """
                INSERT INTO programme (partner_id, announce_at, window_start_at, auto_upgrade_at, created_at) VALUES (?,?,?,?,?)
                ON CONFLICT (partner_id) DO UPDATE SET announce_at = excluded.announce_at, window_start_at = excluded.window_start_at,
                    auto_upgrade_at = excluded.auto_upgrade_at, created_at = excluded.created_at
                """, arguments: [partner, Instant.seconds(announceAt), Instant.seconds(windowStartAt), Instant.seconds(autoUpgradeAt),
                                 Instant.seconds(instant)])
            return programme
        }
    }

    /// UPG-4: orders the upgrade of ready legacy organisations of a partner, after its window
    /// start. With `organisations` nil, every ready one ("all ready"). Readiness is evaluated
    /// at the request instant. Returns the orders placed; refuses the whole request if any named
    /// organisation cannot be ordered.
    public func requestUpgrade(partner: String, organisations: [String]?, at instant: Date, context: RuleContext,
                               criteria: ReadinessCriteria = ReadinessCriteria()) throws -> [UpgradeOrderReceipt] {
        try write { db in
            guard let window = try Int64.fetchOne(db, sql: "SELECT window_start_at FROM programme WHERE partner_id = ?", arguments: [partner]) else {
                throw StoreError(code: .refused, message: "refused: partner '\(partner)' has no upgrade programme (rolloutctl programme create)")
            }
            guard Instant.seconds(instant) >= window else {
                throw StoreError(code: .refused, message: "refused: the upgrade window of partner '\(partner)' opens at \(Instant.format(Instant.date(window))) (UPG-4)")
            }
            let managed = Set(try String.fetchAll(db, sql: "SELECT organisation_id FROM organisation_partner WHERE partner_id = ?", arguments: [partner]))
            let named = organisations ?? Array(managed).sorted()
            var unreadable: [String: String] = [:]
            let readiness = try ReadinessEvaluation.evaluate(
                db, organisations: "SELECT value FROM json_each(?)",
                arguments: [String(decoding: try JSONEncoder().encode(named), as: UTF8.self)],
                at: instant, criteria: criteria, calendar: context.calendar, unreadable: &unreadable)
            var receipts: [UpgradeOrderReceipt] = []
            var problems: [String] = []
            for organisation in named {
                guard managed.contains(organisation) else {
                    problems.append("\(organisation): not an organisation of partner '\(partner)'")
                    continue
                }
                let row = try Row.fetchOne(db, sql: """
                    SELECT o.generation, (SELECT id FROM upgrade_order WHERE organisation_id = o.id AND state = 'ordered') AS open
                    FROM organisation o WHERE o.id = ?
                    """, arguments: [organisation])!
                if row["generation"] as String == "cloud" {
                    if organisations != nil { problems.append("\(organisation): already upgraded") }
                    continue
                }
                if let open = row["open"] as Int64? {
                    if organisations != nil { problems.append("\(organisation): order #\(open) is still open") }
                    continue
                }
                guard let checklist = readiness[organisation], checklist.isReady else {
                    if organisations != nil {
                        problems.append("\(organisation): not ready — \(readiness[organisation]?.failingItemsText(.en) ?? unreadable[organisation] ?? "not evaluated")")
                    }
                    continue
                }
                let placed = try Orders.place(db, organisation: organisation, partner: partner, automatic: false, at: instant,
                                              policy: context.policy, calendar: context.calendar, late: false)
                try DecisionLog.record(db, Decision(
                    at: instant, kind: .orderPlaced, subjectKind: "organisation", subjectID: organisation, partner: partner,
                    organisation: organisation, before: "legacy, ready", after: "order #\(placed.order) placed by the partner",
                    beforeValue: DecisionValue(ready: true, generation: "legacy"),
                    afterValue: DecisionValue(order: placed.order, orderState: "ordered")))
                receipts.append(UpgradeOrderReceipt(order: placed.order, organisation: organisation, orderedAt: instant,
                                                    answerDue: UpgradeOrderTiming.answerDue(orderedAt: instant, timeoutHours: context.policy.orderAnswerTimeoutHours)))
            }
            if !problems.isEmpty {
                throw StoreError(code: .refused, message: "refused, nothing ordered (UPG-4):\n  " + problems.joined(separator: "\n  "))
            }
            return receipts
        }
    }

    /// Writes the distributor's answer to an organisation's open order (UPG-4). The daemon
    /// makes the decisions of the answer at its next wake (UPG-5).
    public func recordOrderAnswer(organisation: String, processed: Bool, reason: String?, at instant: Date) throws -> Int64 {
        try write { db in
            guard let order = try Int64.fetchOne(db, sql: "SELECT id FROM upgrade_order WHERE organisation_id = ? AND state = 'ordered'",
                                                 arguments: [organisation]) else {
                throw StoreError(code: .refused, message: "refused: organisation '\(organisation)' has no open order")
            }
            try db.execute(sql: "UPDATE upgrade_order SET state = ?, reason = ?, answered_at = ? WHERE id = ?",
                           arguments: [processed ? "processed" : "failed", reason, Instant.seconds(instant), order])
            return order
        }
    }

    /// An end-user or device event for one endpoint (UPG-6), decided by the core's lifecycle:
    /// defer, upgrade now, installed, restart reported, failure reported, or a partner's manual
    /// trigger. A transition the lifecycle refuses writes nothing.
    public func endpointEvent(_ event: EndpointUpgradeEvent, endpoint: String, at instant: Date, context: RuleContext) throws -> EndpointUpgradeState {
        try write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT e.*, o.upgrade_partner_id, o.generation, p.end_user_deferral_days, p.locale, o.name AS organisation_name
                FROM endpoint e JOIN organisation o ON o.id = e.organisation_id LEFT JOIN partner p ON p.id = o.upgrade_partner_id
                WHERE e.id = ?
                """, arguments: [endpoint]) else {
                throw StoreError(code: .notFound, message: "unknown endpoint '\(endpoint)'")
            }
            guard let stateText: String = row["upgrade_state"], let state = EndpointUpgradeState(rawValue: stateText) else {
                throw StoreError(code: .refused, message: "refused: endpoint '\(endpoint)' is not in the upgrade programme (its organisation is not upgraded yet)")
            }
            let triggeredAt = (row["triggered_at"] as Int64?).map(Instant.date)
            let deadline = (row["deferral_deadline"] as Int64?).map(Instant.date)
            var reminders: [Date] = []
            if let triggeredAt, let deadline, state == .deferred, let next = (row["next_reminder_at"] as Int64?).map(Instant.date) {
                reminders = EndpointLifecycle.reminders(trigger: triggeredAt, deadline: deadline).filter { $0 >= next }
            }
            let record = EndpointUpgradeRecord(state: state, automaticUpgradeAt: (row["upgrade_at"] as Int64?).map(Instant.date),
                                               triggeredAt: triggeredAt, deferralDeadline: deadline, reminders: reminders,
                                               failureReason: row["failure_reason"])
            let step: EndpointUpgradeStep
            do throws(UpgradeError) {
                let lifecycle = try EndpointLifecycle(deferralLimitDays: row["end_user_deferral_days"] ?? context.policy.endUserDeferralDays,
                                                      calendar: context.calendar, defaults: context.policy)
                step = try lifecycle.apply(event, to: record, at: instant)
            } catch {
                throw StoreError(code: .refused, message: "refused: \(error.message) (\(error.rule))")
            }
            let next = step.record
            try db.execute(sql: """
                UPDATE endpoint SET upgrade_state = ?, upgrade_state_at = ?, upgrade_at = ?, triggered_at = ?, deferral_deadline = ?,
                       next_reminder_at = ?, failure_reason = ?, agent_generation = ?
                WHERE id = ?
                """, arguments: [next.state.rawValue, Instant.seconds(instant),
                                 next.state == .pending ? next.automaticUpgradeAt.map(Instant.seconds) : nil,
                                 next.triggeredAt.map(Instant.seconds), next.deferralDeadline.map(Instant.seconds),
                                 next.state == .deferred ? next.reminders.first.map(Instant.seconds) : nil, next.failureReason,
                                 next.state.agentGeneration.rawValue, endpoint])
            let partner: String? = row["upgrade_partner_id"]
            let organisation: String = row["organisation_id"]
            try DecisionLog.record(db, Decision(
                at: instant, kind: .endpointUpgrade, subjectKind: "endpoint", subjectID: endpoint, partner: partner,
                organisation: organisation, before: state.rawValue, after: next.state.rawValue + " (\(event.name))",
                beforeValue: DecisionValue(upgradeState: state), afterValue: DecisionValue(upgradeState: next.state, event: event.name)))
            // No upgrade partner (NULL): English, as for every notification without a partner.
            let language = try row.decode(Language?.self, forColumn: "locale") ?? .en
            for notice in step.notices {
                let audience: NotificationAudience = notice.kind.audiences.first ?? .endUser
                var values: [NotificationPlaceholder: String] = [.endpoint: endpoint, .organisation: row["organisation_name"]]
                if let deadline = notice.deadline { values[.deadline] = NotificationDates.format(deadline, language, calendar: context.calendar) }
                if let reason = notice.reason { values[.reason] = reason }
                try Outbox.emit(db, Outbox.Notice(
                    kind: notice.kind, audience: audience, partner: partner, organisation: organisation,
                    user: audience == .endUser ? row["user_id"] : nil, endpoint: endpoint, language: language, values: values,
                    subject: "endpoint:\(endpoint)", occurrence: notice.occurrence, dueAt: notice.due,
                    facts: NotificationFacts(deadline: notice.deadline, reason: notice.reason)), late: false)
            }
            return next.state
        }
    }
}

/// An order placed by `upgrade-now`.
public struct UpgradeOrderReceipt: Codable, Equatable, Sendable {
    public let order: Int64
    public let organisation: String
    public let orderedAt: Date
    /// After this instant without an answer, the partner is told to contact the distributor.
    public let answerDue: Date

    enum CodingKeys: String, CodingKey {
        case order, organisation
        case orderedAt = "ordered_at"
        case answerDue = "answer_due"
    }
}
