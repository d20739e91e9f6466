public import Foundation
import GRDB
import RolloutCore

/// The stored readiness checklist of an organisation (UPG-3), as the daemon last evaluated it.
public struct ReadinessReport: Codable, Sendable {
    public struct Item: Codable, Sendable {
        public let item: String
        public let passed: Bool
        public let reason: String
    }

    public let organisation: String
    public let generation: String
    /// Null until the window opens and a wake evaluates it.
    public let ready: Bool?
    public let evaluatedAt: Date?
    public let items: [Item]

    enum CodingKeys: String, CodingKey {
        case organisation, generation, ready, items
        case evaluatedAt = "evaluated_at"
    }
}

/// Progress of a partner's programme (UPG-8).
public struct ProgrammeProgress: Codable, Equatable, Sendable {
    public let partner: String
    /// Organisations by generation (`legacy`, `cloud`).
    public let organisations: [String: Int]
    /// Organisations by the state of their latest order (`none`, `ordered`, `processed`, `failed`).
    public let orders: [String: Int]
    /// Endpoints of upgraded organisations by lifecycle state (UPG-6).
    public let endpoints: [String: Int]
    /// Pauses in force for the partner or its organisations (OPS-1, OPS-3).
    public let pauses: [PauseRecord]
}

/// One notification of the outbox, for `rolloutctl notifications`.
public struct OutboxEntry: Codable, Equatable, Sendable {
    public let id: Int64
    public let key: String
    public let kind: String
    public let audience: String
    public let partner: String?
    public let organisation: String?
    public let user: String?
    public let endpoint: String?
    public let locale: String
    public let dueAt: Date
    public let emittedAt: Date
    public let late: Bool
    public let subject: String
    public let body: String

    enum CodingKeys: String, CodingKey {
        case id, key, kind, audience, partner, organisation, user, endpoint, locale, late, subject, body
        case dueAt = "due_at"
        case emittedAt = "emitted_at"
    }
}

extension Store {
    public func readiness(partner: String, organisation: String?) throws -> [ReadinessReport] {
        try read { db in
            let organisations = try Row.fetchAll(db, sql: """
                SELECT o.id, o.generation FROM organisation o JOIN organisation_partner op ON op.organisation_id = o.id
                WHERE op.partner_id = ? AND (? IS NULL OR o.id = ?) ORDER BY o.id
                """, arguments: [partner, organisation, organisation])
            if let organisation, organisations.isEmpty {
                throw StoreError(code: .notFound, message: "no organisation '\(organisation)' managed by partner '\(partner)'")
            }
            return try organisations.map { row in
                let id: String = row["id"]
                let items = try Row.fetchAll(db, sql: "SELECT item, passed, reason, evaluated_at FROM readiness_item WHERE organisation_id = ? ORDER BY CASE item WHEN 'checked_in_recently' THEN 1 WHEN 'supported_platform' THEN 2 WHEN 'agent_version' THEN 3 ELSE 4 END",
                                             arguments: [id])
                return ReadinessReport(
                    organisation: id, generation: row["generation"], ready: items.isEmpty ? nil : items.allSatisfy { $0["passed"] as Bool },
                    evaluatedAt: items.compactMap { ($0["evaluated_at"] as Int64?).map(Instant.date) }.max(),
                    items: items.map { .init(item: $0["item"], passed: $0["passed"], reason: $0["reason"]) })
            }
        }
    }

    /// True when `partner` has an upgrade programme (UPG-1), for `rolloutctl progress --watch`.
    public func hasProgramme(partner: String) throws -> Bool {
        try read { db in try Bool.fetchOne(db, sql: "SELECT 1 FROM programme WHERE partner_id = ?", arguments: [partner]) ?? false }
    }

    /// UPG-8 per partner (all partners with a programme when nil), read from the counts the
    /// triggers of `programme_count` keep as rows change: a few rows, whatever the fleet's size.
    public func progress(partner: String?) throws -> [ProgrammeProgress] {
        try read { db in
            let partners = try String.fetchAll(db, sql: """
                SELECT id FROM partner WHERE (?1 IS NULL AND id IN (SELECT partner_id FROM programme)) OR id = ?1 ORDER BY id
                """, arguments: [partner])
            if let partner, partners.isEmpty { throw StoreError(code: .notFound, message: "unknown partner '\(partner)'") }
            // Two reads for all partners, not four per partner: the daemon reads this again for
            // its STATUS= line after every outside write.
            var counts: [String: [String: [String: Int]]] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT partner_id, measure, value, count FROM programme_count WHERE count > 0 AND (?1 IS NULL OR partner_id = ?1)",
                                        arguments: [partner]) {
                counts[row[0], default: [:]][row[1], default: [:]][row[2]] = row[3]
            }
            let pauses = Dictionary(grouping: try Self.openPauses(db, partner: partner, organisation: nil), by: \.partner)
            return partners.map { id in
                ProgrammeProgress(partner: id, organisations: counts[id]?["organisation"] ?? [:], orders: counts[id]?["order"] ?? [:],
                                  endpoints: counts[id]?["endpoint"] ?? [:], pauses: pauses[id] ?? [])
            }
        }
    }

    /// The outbox, filtered. Without `after`, the newest `limit` by due instant, oldest first;
    /// with `after` (an id cursor), the first `limit` written after that id, in write order, so a
    /// reader that resumes from the last id it saw misses nothing and sees nothing twice.
    public func notifications(partner: String?, organisation: String?, since: Date?, after: Int64? = nil,
                              limit: Int) throws -> [OutboxEntry] {
        try read { db in
            let filter = """
                (?1 IS NULL OR partner_id = ?1) AND (?2 IS NULL OR organisation_id = ?2) AND (?3 IS NULL OR due_at >= ?3)
                """
            let sql = after == nil
                ? "SELECT * FROM (SELECT * FROM notification WHERE \(filter) ORDER BY due_at DESC, id DESC LIMIT ?4) ORDER BY due_at, id"
                : "SELECT * FROM notification WHERE \(filter) AND id > ?5 ORDER BY id LIMIT ?4"
            var arguments: StatementArguments = [partner, organisation, since.map(Instant.seconds), limit]
            if let after { arguments += [after] }
            return try Row.fetchAll(db, sql: sql, arguments: arguments).map { OutboxEntry($0) }
        }
    }
}
