public import Foundation
import GRDB
public import RolloutCore
public import RolloutStore

extension ScheduleChanges {
    /// Pending CAD-8 requests with their apply-by, soonest first, optionally of one partner
    /// (its partner-level requests and those for its organisations) or one organisation.
    static func pendingList(_ db: Database, partner: String?, organisation: String?) throws -> [StatusReport.PendingChange] {
        try Row.fetchAll(db, sql: """
            SELECT id, partner_id, organisation_id, actor, kind, cadence, defer_weeks, allow_customer_override, requested_at, apply_by
            FROM schedule_change WHERE applied_at IS NULL AND superseded_at IS NULL AND cancelled_at IS NULL
              AND (?1 IS NULL OR partner_id = ?1 OR organisation_id IN (SELECT organisation_id FROM organisation_partner WHERE partner_id = ?1))
              AND (?2 IS NULL OR organisation_id = ?2)
            ORDER BY apply_by, id
            """, arguments: [partner, organisation]).compactMap { row -> StatusReport.PendingChange? in
            guard let request = request(row) else { return nil }
            let subject = switch request.subject {
            case .organisation(let id): "organisation:\(id)"
            case .partner(let id): "partner:\(id)"
            }
            return StatusReport.PendingChange(id: row["id"], subject: subject, partner: row["partner_id"], change: request.edit.summary,
                                              requestedBy: request.requestedBy.rawValue, requestedAt: request.requestedAt,
                                              applyBy: request.applyBy)
        }
    }
}


/// A cancelled CAD-8 request (OPS-2).
public struct CancelledChange: Codable, Equatable, Sendable {
    public let id: Int64
    public let subject: String
    public let change: String
    public let cancelledBy: String
    public let cancelledAt: Date
    /// The apply-by it had: nothing happens then unless another request of the subject is due.
    public let applyBy: Date

    enum CodingKeys: String, CodingKey {
        case id, subject, change
        case cancelledBy = "cancelled_by"
        case cancelledAt = "cancelled_at"
        case applyBy = "apply_by"
    }
}

extension Store {
    /// OPS-2: the pending CAD-8 requests, as `rolloutctl changes` lists them.
    public func pendingChanges(partner: String?, organisation: String?) throws -> [StatusReport.PendingChange] {
        try read { db in try ScheduleChanges.pendingList(db, partner: partner, organisation: organisation) }
    }

    /// OPS-2: cancels a pending request, as the side that may set it (CAD-4): a partner admin
    /// of the requesting partner, or a customer admin of the organisation while customer
    /// override is allowed for it (never a partner-level request or an override toggle).
    /// Coalescing then considers only the remaining requests. A request already applied,
    /// superseded or cancelled is refused; nothing is written on a refusal.
    @discardableResult
    public func cancelChange(id: Int64, actor: Actor, at instant: Date) throws -> CancelledChange {
        try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM schedule_change WHERE id = ?", arguments: [id]),
                  let request = ScheduleChanges.request(row) else {
                throw StoreError(code: .notFound, message: "no such change request #\(id)")
            }
            for (column, word) in [("applied_at", "applied"), ("superseded_at", "superseded by a later request"), ("cancelled_at", "cancelled")] {
                if let at: Int64 = row[column] {
                    throw StoreError(code: .refused, message: "refused: request #\(id) was already \(word) at \(Instant.format(Instant.date(at))) (OPS-2)")
                }
            }
            let partner: String = row["partner_id"]
            let wanted: ScheduleEditRequest = switch request.edit {
            case .setSchedule(let schedule): .setSchedule(cadence: schedule.cadence, deferralWeeks: schedule.deferralWeeks)
            case .resetSchedule: .resetSchedule
            case .setAllowCustomerOverride(let allowed): .setAllowCustomerOverride(allowed)
            }
            let requester: Requester = actor == .partner ? .partnerAdmin(partnerID: partner) : .customerAdmin
            let verdict: Result<ScheduleEdit, ScheduleRefusal>
            switch request.subject {
            case .organisation(let organisation):
                guard let facts = try ReleaseFacts.organisations(db, ids: [organisation])[organisation] else {
                    throw StoreError(code: .notFound, message: "no such organisation '\(organisation)'")
                }
                verdict = SchedulePermissions.authorise(wanted, by: requester, organisation: facts)
            case .partner:
                guard actor == .partner else {
                    throw StoreError(code: .refused, message: "refused: request #\(id) is a partner-level setting; only a partner admin may cancel it (CAD-4, OPS-2)")
                }
                guard let settings = try ReleaseFacts.partners(db)[partner] else {
                    throw StoreError(code: .notFound, message: "no such partner '\(partner)'")
                }
                verdict = SchedulePermissions.authorise(wanted, by: requester, partner: settings)
            }
            if case .failure(let refusal) = verdict {
                throw StoreError(code: .refused, message: "refused: the \(actor.rawValue) may not cancel request #\(id): \(refusal) (OPS-2)")
            }
            try db.execute(sql: "UPDATE schedule_change SET cancelled_at = ?, cancelled_by = ? WHERE id = ?",
                           arguments: [Instant.seconds(instant), actor.rawValue, id])
            let subject = switch request.subject {
            case .organisation(let organisation): "organisation:\(organisation)"
            case .partner(let partner): "partner:\(partner)"
            }
            return CancelledChange(id: id, subject: subject, change: request.edit.summary, cancelledBy: actor.rawValue,
                                   cancelledAt: instant, applyBy: request.applyBy)
        }
    }
}
