import Foundation
import GRDB
import RolloutCore


/// A pending CAD-8 change request, for `GET /v1/changes`.
public struct PendingChangeRequest: Codable, Equatable, Sendable {
    public let id: Int64
    public let partner: String
    public let organisation: String?
    public let requestedBy: String
    public let change: String
    public let requestedAt: Date
    public let applyBy: Date

    enum CodingKeys: String, CodingKey {
        case id, partner, organisation, change
        case requestedBy = "requested_by"
        case requestedAt = "requested_at"
        case applyBy = "apply_by"
    }
}

/// Whose a change request is, pending or not: the partner it was requested through and, for
/// an organisation's request, the organisation (API-1 scope of `DELETE /v1/changes/{id}`).
public struct ChangeRequestScope: Sendable, Equatable {
    public let partner: String
    public let organisation: String?
}

/// Which outbox entries a reader may see (API-4).
public enum OutboxReader: Sendable {
    /// Its partner admins' notifications and the customer admins' of the organisations it manages.
    case partner(String)
    /// Its organisation's customer admins' notifications.
    case customer(String)
}

extension Store {
    /// Whose change request `id` is; nil when there is none.
    public func changeRequestScope(id: Int64) throws -> ChangeRequestScope? {
        try read { db in
            try Row.fetchOne(db, sql: "SELECT partner_id, organisation_id FROM schedule_change WHERE id = ?", arguments: [id]).map {
                ChangeRequestScope(partner: $0["partner_id"], organisation: $0["organisation_id"])
            }
        }
    }

    /// The partners managing `organisation` (none if it does not exist).
    public func partners(managing organisation: String) throws -> [String] {
        try read { db in
            try String.fetchAll(db, sql: "SELECT partner_id FROM organisation_partner WHERE organisation_id = ? ORDER BY partner_id",
                                arguments: [organisation])
        }
    }

    /// The organisation of a user, or of an endpoint.
    public func organisation(ofUser user: String) throws -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT organisation_id FROM user WHERE id = ?", arguments: [user]) }
    }

    public func organisation(ofEndpoint endpoint: String) throws -> String? {
        try read { db in try String.fetchOne(db, sql: "SELECT organisation_id FROM endpoint WHERE id = ?", arguments: [endpoint]) }
    }

    /// An open order a distributor may answer: its organisation, if the order is open and its
    /// partner is served by `distributor`.
    public func openOrder(_ order: Int64, servedBy distributor: String) throws -> String? {
        try read { db in
            try String.fetchOne(db, sql: """
                SELECT u.organisation_id FROM upgrade_order u JOIN partner_distributor d ON d.partner_id = u.partner_id
                WHERE u.id = ? AND u.state = 'ordered' AND d.distributor_id = ?
                """, arguments: [order, distributor])
        }
    }

    /// Whether a partner exists.
    public func partnerExists(_ partner: String) throws -> Bool {
        try read { db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM partner WHERE id = ?)", arguments: [partner]) ?? false }
    }

    /// Pending CAD-8 requests of a partner (its own and its organisations') or of one organisation, oldest first.
    public func pendingChangeRequests(partner: String?, organisation: String?) throws -> [PendingChangeRequest] {
        try read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM schedule_change WHERE applied_at IS NULL AND superseded_at IS NULL AND cancelled_at IS NULL
                  AND (?1 IS NULL OR partner_id = ?1 OR organisation_id IN (SELECT organisation_id FROM organisation_partner WHERE partner_id = ?1))
                  AND (?2 IS NULL OR organisation_id = ?2)
                ORDER BY requested_at, id
                """, arguments: [partner, organisation]).compactMap { row in
                guard let request = ScheduleChanges.request(row) else { return nil }
                return PendingChangeRequest(id: row["id"], partner: row["partner_id"], organisation: row["organisation_id"],
                                            requestedBy: row["actor"], change: request.edit.summary, requestedAt: request.requestedAt,
                                            applyBy: request.applyBy)
            }
        }
    }

    /// Outbox entries after the cursor `after` (a notification id), in the order they were
    /// written (API-4). Ids grow with every commit of the single writer, so a reader resuming
    /// from the last id it saw misses nothing and sees nothing twice, late catch-up ones included.
    public func notifications(for reader: OutboxReader, after: Int64, limit: Int) throws -> [OutboxEntry] {
        try read { db in
            let filter: String
            let id: String
            switch reader {
            case .partner(let partner):
                id = partner
                filter = """
                    ((audience = 'partner_admins' AND partner_id = ?1)
                     OR (audience = 'customer_admins'
                         AND organisation_id IN (SELECT organisation_id FROM organisation_partner WHERE partner_id = ?1)))
                    """
            case .customer(let organisation):
                id = organisation
                filter = "(audience = 'customer_admins' AND organisation_id = ?1)"
            }
            return try Row.fetchAll(db, sql: "SELECT * FROM notification WHERE id > ?2 AND \(filter) ORDER BY id LIMIT ?3",
                                    arguments: [id, after, limit]).map { OutboxEntry($0) }
        }
    }
}

extension OutboxEntry {
    init(_ row: Row) {
        self.init(id: row["id"], key: row["idempotency_key"], kind: row["kind"], audience: row["audience"], partner: row["partner_id"],
                  organisation: row["organisation_id"], user: row["user_id"], endpoint: row["endpoint_id"], locale: row["locale"],
                  dueAt: Instant.date(row["due_at"]), emittedAt: Instant.date(row["emitted_at"]), late: row["late"],
                  subject: row["subject"], body: row["body"])
    }
}
