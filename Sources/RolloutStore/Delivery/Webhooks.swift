import Foundation
import GRDB
import RolloutCore

/// A webhook endpoint as operators see it (DLV-1, DLV-4). Its secrets are never part of it:
/// they are shown once, when made, and read only by the deliverer (`signingSecrets`).
public struct Webhook: Codable, Equatable, Sendable {
    public let id: Int64
    public let partnerID: String
    /// Set: the organisation's customer admins' notifications; nil: the partner admins'.
    public let organisationID: String?
    public let url: String
    /// The kinds it receives; nil for every kind its audience is sent.
    public let kinds: [String]?
    public let createdAt: Date
    /// Set when `410 Gone` disabled it (DLV-2); it receives nothing more.
    public let disabledAt: Date?
    public let disabledReason: String?
    /// Until when the secret before the last rotation still signs (DLV-5).
    public let previousSecretUntil: Date?
    public let lastSuccessAt: Date?
    public let lastFailureAt: Date?
    public let consecutiveFailures: Int
    public let lastError: String?

    /// Who its notifications are addressed to.
    public var audience: NotificationAudience { organisationID == nil ? .partnerAdmins : .customerAdmins }

    enum CodingKeys: String, CodingKey {
        case id, url, kinds
        case partnerID = "partner_id"
        case organisationID = "organisation_id"
        case createdAt = "created_at"
        case disabledAt = "disabled_at"
        case disabledReason = "disabled_reason"
        case previousSecretUntil = "previous_secret_until"
        case lastSuccessAt = "last_success_at"
        case lastFailureAt = "last_failure_at"
        case consecutiveFailures = "consecutive_failures"
        case lastError = "last_error"
    }

    static let columns = """
        id, partner_id, organisation_id, url, kinds, created_at, disabled_at, disabled_reason, previous_secret_until,
        last_success_at, last_failure_at, consecutive_failures, last_error
        """

    init(_ row: Row) {
        id = row["id"]
        partnerID = row["partner_id"]
        organisationID = row["organisation_id"]
        url = row["url"]
        kinds = (row["kinds"] as String?).flatMap { try? JSONDecoder().decode([String].self, from: Data($0.utf8)) }
        createdAt = Instant.date(row["created_at"])
        disabledAt = (row["disabled_at"] as Int64?).map(Instant.date)
        disabledReason = row["disabled_reason"]
        previousSecretUntil = (row["previous_secret_until"] as Int64?).map(Instant.date)
        lastSuccessAt = (row["last_success_at"] as Int64?).map(Instant.date)
        lastFailureAt = (row["last_failure_at"] as Int64?).map(Instant.date)
        consecutiveFailures = row["consecutive_failures"]
        lastError = row["last_error"]
    }
}

/// What the deliverer signs with: the current secret first, then the one it replaced while the
/// rotation's overlap lasts (DLV-5: two signatures in the header).
public struct SigningSecrets: Equatable, Sendable {
    public let current: String
    public let previous: String?

    public var all: [String] { [current] + (previous.map { [$0] } ?? []) }
}

extension Store {
    /// Registers a webhook for a partner's admins, or with `organisation` for that organisation's
    /// customer admins (DLV-1). The URL must already have passed the deliverer's address policy;
    /// here the subjects and kinds are checked: an unknown partner, an organisation the partner
    /// does not manage, or a kind the audience is never sent is refused and nothing is written.
    public func addWebhook(partner: String, organisation: String?, url: String, kinds: [String]?, secret: String,
                           now: Date) throws -> Webhook {
        let audience: NotificationAudience = organisation == nil ? .partnerAdmins : .customerAdmins
        if let kinds {
            guard !kinds.isEmpty else { throw StoreError(code: .refused, message: "--kinds lists no kind; leave it out for every kind") }
            for name in kinds {
                guard let kind = NotificationKind(rawValue: name) else {
                    throw StoreError(code: .refused, message: "unknown notification kind '\(name)'; kinds: "
                                     + NotificationKind.allCases.filter { $0.audiences.contains(audience) }.map(\.rawValue).joined(separator: ", ") + " (DLV-1)")
                }
                guard kind.audiences.contains(audience) else {
                    throw StoreError(code: .refused, message: "kind '\(name)' is never sent to \(audience.rawValue), "
                                     + (organisation == nil ? "a partner webhook's audience" : "an organisation webhook's audience")
                                     + "; it would never be delivered here (DLV-1)")
                }
            }
        }
        return try write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM partner WHERE id = ?", arguments: [partner]) != nil else {
                throw StoreError(code: .notFound, message: "no partner '\(partner)'")
            }
            if let organisation {
                // An unknown organisation is no such subject (exit 4); one of another partner is a
                // refusal (exit 1), as for pause and schedule requests (CAD-4).
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM organisation WHERE id = ?", arguments: [organisation]) != nil else {
                    throw StoreError(code: .notFound, message: "no organisation '\(organisation)'")
                }
                guard try Bool.fetchOne(db, sql: "SELECT 1 FROM organisation_partner WHERE organisation_id = ? AND partner_id = ?",
                                        arguments: [organisation, partner]) != nil else {
                    throw StoreError(code: .refused, message: "partner '\(partner)' manages no organisation '\(organisation)'")
                }
            }
            let kindsJSON = try kinds.map { String(decoding: try JSONEncoder().encode($0), as: UTF8.self) }
            try db.execute(sql: """
                INSERT INTO webhook (partner_id, organisation_id, url, kinds, secret, created_at, start_after)
                VALUES (?, ?, ?, ?, ?, ?, coalesce((SELECT max(id) FROM notification), 0))
                """, arguments: [partner, organisation, url, kindsJSON, secret, Instant.seconds(now)])
            return try Self.webhook(db, id: db.lastInsertedRowID)!
        }
    }

    /// Every webhook, or a partner's, by id.
    public func webhooks(partner: String? = nil) throws -> [Webhook] {
        try read { db in
            try Row.fetchAll(db, sql: "SELECT \(Webhook.columns) FROM webhook WHERE ?1 IS NULL OR partner_id = ?1 ORDER BY id",
                             arguments: [partner]).map(Webhook.init)
        }
    }

    /// One webhook, or `store.not_found`.
    public func webhook(id: Int64) throws -> Webhook {
        guard let webhook = try read({ db in try Self.webhook(db, id: id) }) else { throw Self.noWebhook(id) }
        return webhook
    }

    /// Removes a webhook and its deliveries.
    public func removeWebhook(id: Int64) throws {
        try write { db in
            try db.execute(sql: "DELETE FROM webhook WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw Self.noWebhook(id) }
        }
    }

    /// Replaces the secret; the old one keeps signing until `overlapUntil` (DLV-5). Rotating
    /// again within an overlap drops the oldest secret: two signatures at most.
    public func rotateWebhookSecret(id: Int64, newSecret: String, overlapUntil: Date) throws -> Webhook {
        try write { db in
            try db.execute(sql: """
                UPDATE webhook SET previous_secret = secret, previous_secret_until = ?, secret = ? WHERE id = ?
                """, arguments: [Instant.seconds(overlapUntil), newSecret, id])
            guard db.changesCount == 1, let webhook = try Self.webhook(db, id: id) else { throw Self.noWebhook(id) }
            return webhook
        }
    }

    /// The secrets that sign for a webhook at `now`.
    public func signingSecrets(webhook id: Int64, now: Date) throws -> SigningSecrets {
        guard let secrets = try read({ db in try Self.signingSecrets(db, webhook: id, now: now) }) else { throw Self.noWebhook(id) }
        return secrets
    }

    static func signingSecrets(_ db: Database, webhook id: Int64, now: Date) throws -> SigningSecrets? {
        try Row.fetchOne(db, sql: "SELECT secret, previous_secret, previous_secret_until FROM webhook WHERE id = ?", arguments: [id])
            .map { row in
                let until = row["previous_secret_until"] as Int64?
                let overlapping = until.map { $0 > Instant.seconds(now) } ?? false
                return SigningSecrets(current: row["secret"], previous: overlapping ? row["previous_secret"] : nil)
            }
    }

    static func webhook(_ db: Database, id: Int64) throws -> Webhook? {
        try Row.fetchOne(db, sql: "SELECT \(Webhook.columns) FROM webhook WHERE id = ?", arguments: [id]).map(Webhook.init)
    }

    static func noWebhook(_ id: Int64) -> StoreError {
        StoreError(code: .notFound, message: "no webhook #\(id); `rolloutctl webhook list` shows them")
    }
}
