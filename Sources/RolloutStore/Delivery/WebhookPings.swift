import Foundation
import GRDB
import RolloutCore

/// A test ping a partner asked for through the API (`POST /v1/partners/{p}/webhooks/{id}/test`).
/// The API process has no network, so it queues the ping and the deliverer sends it, signed
/// like every delivery (DLV-1), through the same address checks (DLV-5), and records the answer.
public struct QueuedPing: Codable, Equatable, Sendable {
    public let id: Int64
    public let webhookID: Int64
    public let requestedAt: Date
    /// Who asked: `token 'NAME' (ID)`.
    public let requestedBy: String
    /// When the deliverer sent it; nil while it waits.
    public let sentAt: Date?
    /// The receiver's HTTP status; nil while waiting, or when no answer came.
    public let status: Int?
    /// Why it failed (no answer, a blocked address, a non-2xx status); nil on success.
    public let error: String?

    enum CodingKeys: String, CodingKey {
        case id, status, error
        case webhookID = "webhook_id"
        case requestedAt = "requested_at"
        case requestedBy = "requested_by"
        case sentAt = "sent_at"
    }

    init(_ row: Row) {
        id = row["id"]
        webhookID = row["webhook_id"]
        requestedAt = Instant.date(row["requested_at"])
        requestedBy = row["requested_by"]
        sentAt = (row["sent_at"] as Int64?).map(Instant.date)
        status = row["status"]
        error = row["error"]
    }
}

/// A ping the deliverer sends now, with what the request needs.
public struct PingToSend: Sendable {
    public let ping: QueuedPing
    public let webhook: Webhook
    public let secrets: SigningSecrets
}

extension Store {
    /// Queues a ping to an enabled webhook. A ping already waiting for it is returned instead of
    /// a second one, so repeated clicks send one request. A webhook a `410 Gone` disabled is
    /// refused: it receives nothing more (DLV-2).
    public func queueWebhookPing(webhook id: Int64, requestedBy: String, at instant: Date) throws -> QueuedPing {
        try write { db in
            guard let webhook = try Self.webhook(db, id: id) else { throw Self.noWebhook(id) }
            if let disabled = webhook.disabledAt {
                throw StoreError(code: .refused, message: "refused: webhook #\(id) was disabled at \(Instant.format(disabled)) "
                                 + "(\(webhook.disabledReason ?? "410 Gone")) and receives nothing more; register it again (DLV-2)")
            }
            if let waiting = try Row.fetchOne(db, sql: "SELECT * FROM webhook_ping WHERE webhook_id = ? AND sent_at IS NULL ORDER BY id",
                                              arguments: [id]) {
                return QueuedPing(waiting)
            }
            try db.execute(sql: "INSERT INTO webhook_ping (webhook_id, requested_at, requested_by) VALUES (?, ?, ?)",
                           arguments: [id, Instant.seconds(instant), requestedBy])
            return QueuedPing(try Row.fetchOne(db, sql: "SELECT * FROM webhook_ping WHERE id = ?", arguments: [db.lastInsertedRowID])!)
        }
    }

    /// Takes the waiting pings of enabled webhooks, marking them sent at `now` in the same
    /// transaction, so two deliverers never send one twice; no write when none waits. A crash
    /// before `recordPing` leaves a ping sent without an answer recorded: a test ping is not
    /// a notification, and the partner can ask again.
    public func claimQueuedPings(now: Date) throws -> [PingToSend] {
        guard try read({ db in try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM webhook_ping WHERE sent_at IS NULL)") == true })
        else { return [] }
        return try write { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT p.* FROM webhook_ping p JOIN webhook w ON w.id = p.webhook_id
                WHERE p.sent_at IS NULL AND w.disabled_at IS NULL ORDER BY p.id
                """)
            var pings: [PingToSend] = []
            for row in rows {
                let id: Int64 = row["id"]
                try db.execute(sql: "UPDATE webhook_ping SET sent_at = ? WHERE id = ?", arguments: [Instant.seconds(now), id])
                let ping = QueuedPing(try Row.fetchOne(db, sql: "SELECT * FROM webhook_ping WHERE id = ?", arguments: [id])!)
                guard let webhook = try Self.webhook(db, id: ping.webhookID),
                      let secrets = try Self.signingSecrets(db, webhook: ping.webhookID, now: now) else { continue }
                pings.append(PingToSend(ping: ping, webhook: webhook, secrets: secrets))
            }
            return pings
        }
    }

    /// Records what the receiver answered a ping.
    public func recordPing(id: Int64, status: Int?, error: String?) throws {
        try write { db in
            try db.execute(sql: "UPDATE webhook_ping SET status = ?, error = ? WHERE id = ?", arguments: [status, error, id])
        }
    }

    /// The newest ping of each of a partner's webhooks, by webhook id.
    public func lastPings(partner: String) throws -> [Int64: QueuedPing] {
        try read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT p.* FROM webhook_ping p JOIN webhook w ON w.id = p.webhook_id
                WHERE w.partner_id = ? AND p.id = (SELECT max(id) FROM webhook_ping WHERE webhook_id = p.webhook_id)
                """, arguments: [partner])
            return Dictionary(uniqueKeysWithValues: rows.map { row in (row["webhook_id"] as Int64, QueuedPing(row)) })
        }
    }
}
