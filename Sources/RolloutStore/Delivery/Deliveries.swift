public import Foundation
package import GRDB
import RolloutCore

/// Where a delivery stands (DLV-2, DLV-4).
public enum DeliveryState: String, Codable, CaseIterable, Sendable {
    /// Not tried yet, or redelivery requested.
    case pending
    /// Tried and failed; a retry is scheduled.
    case failed
    /// Retries ran out, or the endpoint answered `410 Gone`: shown to the operator, redeliverable.
    case dead
    /// A 2xx was recorded: never sent again.
    case delivered
}

/// A notification of the outbox, as a webhook payload carries it.
public struct OutboxNotification: Sendable, Equatable {
    public let id: Int64
    /// The NOT-1 idempotency key: the `webhook-id` of every attempt (DLV-1).
    public let idempotencyKey: String
    public let kind: String
    public let audience: String
    public let partnerID: String?
    public let organisationID: String?
    public let userID: String?
    public let endpointID: String?
    public let locale: String
    public let dueAt: Date
    public let emittedAt: Date
    public let late: Bool
    public let subject: String
    public let body: String
    /// The template's values, typed; nil for notifications written before they were kept.
    public let facts: NotificationFacts?

    init(_ row: Row) {
        id = row["n_id"]
        idempotencyKey = row["idempotency_key"]
        kind = row["kind"]
        audience = row["audience"]
        partnerID = row["partner_id"]
        organisationID = row["organisation_id"]
        userID = row["user_id"]
        endpointID = row["endpoint_id"]
        locale = row["locale"]
        dueAt = Instant.date(row["due_at"])
        emittedAt = Instant.date(row["emitted_at"])
        late = row["late"]
        subject = row["subject"]
        body = row["body"]
        facts = (row["facts"] as String?).flatMap { try? JSONDecoder().decode(NotificationFacts.self, from: Data($0.utf8)) }
    }

    static let columns = """
        n.id AS n_id, n.idempotency_key, n.kind, n.audience, n.partner_id, n.organisation_id, n.user_id, n.endpoint_id,
        n.locale, n.due_at, n.emitted_at, n.late, n.subject, n.body, n.facts
        """
}

/// A delivery the deliverer may send now, with everything the request needs.
public struct DueDelivery: Sendable {
    public let id: Int64
    public let webhookID: Int64
    public let url: String
    public let secrets: SigningSecrets
    /// Attempts made before this one.
    public let attempts: Int
    /// Retries give up `give_up_after_seconds` after this instant.
    public let retryFrom: Date
    public let notification: OutboxNotification
}

/// What one attempt came to, as the deliverer decided it.
public struct DeliveryOutcome: Sendable {
    public enum Result: Sendable, Equatable {
        /// A 2xx: delivered for good.
        case delivered
        /// Failed; try again at this instant.
        case retry(at: Date)
        /// Failed and the retry schedule ran out: dead letter.
        case dead
        /// `410 Gone`: the endpoint is disabled, this and its other open deliveries are dead letters.
        case gone
    }

    public let deliveryID: Int64
    public let webhookID: Int64
    public let attemptedAt: Date
    /// The HTTP status, nil when there was no answer (refused, timed out, blocked address).
    public let status: Int?
    /// Why it failed, for the operator; nil on success.
    public let error: String?
    public let result: Result

    public init(deliveryID: Int64, webhookID: Int64, attemptedAt: Date, status: Int?, error: String?, result: Result) {
        self.deliveryID = deliveryID
        self.webhookID = webhookID
        self.attemptedAt = attemptedAt
        self.status = status
        self.error = error
        self.result = result
    }
}

/// Counts of recorded outcomes, for the round's journal summary.
public struct RecordedOutcomes: Sendable, Equatable {
    /// A webhook a `410 Gone` disabled, and how many of its open deliveries became dead letters.
    public struct Disabled: Sendable, Equatable {
        public let webhook: Int64
        public let deadLetters: Int
    }

    public var delivered = 0
    public var retried = 0
    public var dead = 0
    public var disabled: [Disabled] = []

    public init() {}
}

/// One delivery as `rolloutctl deliveries` lists it.
public struct DeliveryRecord: Codable, Sendable {
    public let id: Int64
    public let webhookID: Int64
    public let partnerID: String
    public let organisationID: String?
    public let url: String
    public let notificationID: Int64
    /// The `webhook-id` header: the notification's idempotency key.
    public let webhookMessageID: String
    public let kind: String
    public let state: DeliveryState
    public let attempts: Int
    public let createdAt: Date
    public let nextAttemptAt: Date?
    public let lastAttemptAt: Date?
    public let lastStatus: Int?
    public let lastError: String?
    public let deliveredAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, url, kind, state, attempts
        case webhookID = "webhook_id"
        case partnerID = "partner_id"
        case organisationID = "organisation_id"
        case notificationID = "notification_id"
        case webhookMessageID = "webhook_message_id"
        case createdAt = "created_at"
        case nextAttemptAt = "next_attempt_at"
        case lastAttemptAt = "last_attempt_at"
        case lastStatus = "last_status"
        case lastError = "last_error"
        case deliveredAt = "delivered_at"
    }

    static let query = """
        SELECT d.id, d.webhook_id, w.partner_id, w.organisation_id, w.url, d.notification_id, n.idempotency_key, n.kind, d.state,
               d.attempts, d.created_at, d.next_attempt_at, d.last_attempt_at, d.last_status, d.last_error, d.delivered_at
        FROM delivery d JOIN webhook w ON w.id = d.webhook_id JOIN notification n ON n.id = d.notification_id
        """

    /// A state the schema's CHECK does not allow (a newer build, a hand edit) names the row.
    init(_ row: Row) throws {
        id = row["id"]
        webhookID = row["webhook_id"]
        partnerID = row["partner_id"]
        organisationID = row["organisation_id"]
        url = row["url"]
        notificationID = row["notification_id"]
        webhookMessageID = row["idempotency_key"]
        kind = row["kind"]
        let stored: String = row["state"]
        guard let state = DeliveryState(rawValue: stored) else {
            throw StoreError(code: .corrupt, message: "delivery row \(id): unknown state '\(stored)' (written by a newer rolloutd?); `rolloutctl db check` inspects the database")
        }
        self.state = state
        attempts = row["attempts"]
        createdAt = Instant.date(row["created_at"])
        let open = state == .pending || state == .failed
        nextAttemptAt = open ? Instant.date(row["next_attempt_at"]) : nil
        lastAttemptAt = (row["last_attempt_at"] as Int64?).map(Instant.date)
        lastStatus = row["last_status"]
        lastError = row["last_error"]
        deliveredAt = (row["delivered_at"] as Int64?).map(Instant.date)
    }
}

/// Health of one webhook endpoint (DLV-4): `status --json` and the deliverer's STATUS=.
public struct WebhookHealth: Codable, Sendable, Equatable {
    public let webhookID: Int64
    public let partnerID: String
    public let organisationID: String?
    public let url: String
    public let enabled: Bool
    public let lastSuccessAt: Date?
    public let lastFailureAt: Date?
    public let consecutiveFailures: Int
    public let lastError: String?
    /// When the oldest delivery still waiting (pending or failed) was created.
    public let oldestPendingAt: Date?
    public let pending: Int
    public let failed: Int
    public let dead: Int
    public let delivered: Int

    enum CodingKeys: String, CodingKey {
        case url, enabled, pending, failed, dead, delivered
        case webhookID = "webhook_id"
        case partnerID = "partner_id"
        case organisationID = "organisation_id"
        case lastSuccessAt = "last_success_at"
        case lastFailureAt = "last_failure_at"
        case consecutiveFailures = "consecutive_failures"
        case lastError = "last_error"
        case oldestPendingAt = "oldest_pending_at"
    }
}

extension Store {
    /// Turns new outbox rows into deliveries, reading the outbox in id order past the cursor
    /// (DLV-3): at most `batch` notifications per call, in one short transaction, and no write
    /// at all when nothing is new. A webhook gets the notifications addressed to its audience
    /// (a partner's admins, or one organisation's customer admins), of its kinds, written after
    /// it was registered. Returns the number of deliveries created and whether more remain.
    public func fanOutDeliveries(now: Date, batch: Int = 5_000) throws -> (created: Int, more: Bool) {
        let (cursor, newest) = try read { db in
            (try Int64.fetchOne(db, sql: "SELECT notification_id FROM delivery_cursor WHERE id = 1") ?? 0,
             try Int64.fetchOne(db, sql: "SELECT max(id) FROM notification") ?? 0)
        }
        guard newest > cursor else { return (0, false) }
        return try write { db in
            let from = try Int64.fetchOne(db, sql: "SELECT notification_id FROM delivery_cursor WHERE id = 1") ?? 0
            let through = min(newest, from + Int64(batch))
            guard through > from else { return (0, false) }
            try db.execute(sql: """
                INSERT OR IGNORE INTO delivery (webhook_id, notification_id, state, created_at, retry_from, next_attempt_at)
                SELECT w.id, n.id, 'pending', ?1, ?1, ?1
                FROM notification n JOIN webhook w
                  ON w.disabled_at IS NULL AND n.id > w.start_after
                 AND ((w.organisation_id IS NULL AND n.audience = 'partner_admins' AND n.partner_id = w.partner_id)
                   OR (w.organisation_id IS NOT NULL AND n.audience = 'customer_admins' AND n.organisation_id = w.organisation_id))
                 AND (w.kinds IS NULL OR EXISTS (SELECT 1 FROM json_each(w.kinds) WHERE value = n.kind))
                WHERE n.id > ?2 AND n.id <= ?3
                ORDER BY n.id, w.id
                """, arguments: [Instant.seconds(now), from, through])
            let created = db.changesCount
            try db.execute(sql: "INSERT INTO delivery_cursor (id, notification_id) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET notification_id = excluded.notification_id",
                           arguments: [through])
            return (created, through < newest)
        }
    }

    /// Deliveries due at `now`, per enabled webhook at most `capacity` minus its `busy` requests,
    /// oldest due first, leaving out those in `excluding` (sent, outcome not recorded yet). One
    /// read transaction.
    public func dueDeliveries(now: Date, capacity: Int, busy: [Int64: Int], excluding: [Int64: Set<Int64>]) throws -> [DueDelivery] {
        try read { db in
            var due: [DueDelivery] = []
            let webhooks = try Row.fetchAll(db, sql: "SELECT id, url FROM webhook WHERE disabled_at IS NULL ORDER BY id")
            for webhook in webhooks {
                let id: Int64 = webhook["id"]
                let free = capacity - (busy[id] ?? 0)
                guard free > 0, let secrets = try Self.signingSecrets(db, webhook: id, now: now) else { continue }
                let excluded = String(decoding: try JSONEncoder().encode(Array(excluding[id] ?? [])), as: UTF8.self)
                let rows = try Row.fetchAll(db, sql: """
                    SELECT d.id, d.attempts, d.retry_from, \(OutboxNotification.columns)
                    FROM delivery d JOIN notification n ON n.id = d.notification_id
                    WHERE d.webhook_id = ? AND d.state IN ('pending','failed') AND d.next_attempt_at <= ?
                      AND d.id NOT IN (SELECT value FROM json_each(?))
                    ORDER BY d.next_attempt_at, d.id LIMIT ?
                    """, arguments: [id, Instant.seconds(now), excluded, free])
                for row in rows {
                    due.append(DueDelivery(id: row["id"], webhookID: id, url: webhook["url"], secrets: secrets, attempts: row["attempts"],
                                           retryFrom: Instant.date(row["retry_from"]), notification: OutboxNotification(row)))
                }
            }
            return due
        }
    }

    /// The earliest instant a waiting delivery of an enabled webhook falls due, if any.
    public func nextDeliveryDue() throws -> Date? {
        try read { db in
            try Int64.fetchOne(db, sql: """
                SELECT min(d.next_attempt_at) FROM delivery d JOIN webhook w ON w.id = d.webhook_id
                WHERE d.state IN ('pending','failed') AND w.disabled_at IS NULL
                """).map(Instant.date)
        }
    }

    /// Records attempts' outcomes in one short transaction: each delivery's state together with
    /// its attempt (a 2xx is delivered for good, DLV-2) and the webhook's health. A delivery
    /// already delivered is never changed again.
    @discardableResult
    public func recordOutcomes(_ outcomes: [DeliveryOutcome]) throws -> RecordedOutcomes {
        guard !outcomes.isEmpty else { return RecordedOutcomes() }
        return try write { db in
            var recorded = RecordedOutcomes()
            for outcome in outcomes {
                let at = Instant.seconds(outcome.attemptedAt)
                let (state, next): (DeliveryState, Int64?) = switch outcome.result {
                case .delivered: (.delivered, nil)
                case .retry(let when): (.failed, Instant.seconds(when))
                case .dead, .gone: (.dead, nil)
                }
                try db.execute(sql: """
                    UPDATE delivery SET state = ?, attempts = attempts + 1, last_attempt_at = ?, last_status = ?, last_error = ?,
                                        next_attempt_at = coalesce(?, next_attempt_at), delivered_at = ?
                    WHERE id = ? AND state IN ('pending','failed')
                    """, arguments: [state.rawValue, at, outcome.status, outcome.error, next,
                                     state == .delivered ? at : nil, outcome.deliveryID])
                guard db.changesCount == 1 else { continue }
                switch outcome.result {
                case .delivered:
                    recorded.delivered += 1
                    try db.execute(sql: "UPDATE webhook SET last_success_at = ?, consecutive_failures = 0, last_error = NULL WHERE id = ?",
                                   arguments: [at, outcome.webhookID])
                case .retry, .dead, .gone:
                    if outcome.result == .dead || outcome.result == .gone { recorded.dead += 1 } else { recorded.retried += 1 }
                    try db.execute(sql: """
                        UPDATE webhook SET last_failure_at = ?, consecutive_failures = consecutive_failures + 1, last_error = ? WHERE id = ?
                        """, arguments: [at, outcome.error, outcome.webhookID])
                }
                if outcome.result == .gone {
                    try db.execute(sql: "UPDATE webhook SET disabled_at = ?, disabled_reason = ? WHERE id = ? AND disabled_at IS NULL",
                                   arguments: [at, "410 Gone from \(at)", outcome.webhookID])
                    try db.execute(sql: """
                        UPDATE delivery SET state = 'dead', last_error = 'endpoint disabled: it answered 410 Gone'
                        WHERE webhook_id = ? AND state IN ('pending','failed')
                        """, arguments: [outcome.webhookID])
                    recorded.disabled.append(.init(webhook: outcome.webhookID, deadLetters: db.changesCount + 1))
                    recorded.dead += db.changesCount
                }
            }
            return recorded
        }
    }

    /// Deliveries, newest first, optionally of one partner's webhooks and in one state.
    public func deliveries(partner: String? = nil, state: DeliveryState? = nil, limit: Int = 1_000) throws -> [DeliveryRecord] {
        try read { db in
            try Row.fetchAll(db, sql: DeliveryRecord.query + """
                 WHERE (?1 IS NULL OR w.partner_id = ?1) AND (?2 IS NULL OR d.state = ?2) ORDER BY d.id DESC LIMIT ?3
                """, arguments: [partner, state?.rawValue, limit]).map { try DeliveryRecord($0) }
        }
    }

    /// Schedules a failed or dead delivery to be sent again now, with a fresh retry schedule
    /// (DLV-4). A delivered one is refused: a 2xx is for good (DLV-2); so is one whose webhook
    /// is disabled, which would never send it.
    public func redeliver(id: Int64, now: Date) throws -> DeliveryRecord {
        try write { db in
            guard let row = try Row.fetchOne(db, sql: DeliveryRecord.query + " WHERE d.id = ?", arguments: [id]) else {
                throw StoreError(code: .notFound, message: "no delivery #\(id); `rolloutctl deliveries` lists them")
            }
            let record = try DeliveryRecord(row)
            if record.state == .delivered {
                throw StoreError(code: .refused, message: "delivery #\(id) was delivered at \(Instant.format(record.deliveredAt ?? record.createdAt)) (a 2xx is final, DLV-2); nothing to redeliver")
            }
            if try Int64.fetchOne(db, sql: "SELECT disabled_at FROM webhook WHERE id = ?", arguments: [record.webhookID]) != nil {
                throw StoreError(code: .refused, message: "webhook #\(record.webhookID) is disabled (it answered 410 Gone); register the endpoint again with `rolloutctl webhook add`")
            }
            let at = Instant.seconds(now)
            try db.execute(sql: "UPDATE delivery SET state = 'pending', retry_from = ?, next_attempt_at = ? WHERE id = ?",
                           arguments: [at, at, id])
            return try DeliveryRecord(try Row.fetchOne(db, sql: DeliveryRecord.query + " WHERE d.id = ?", arguments: [id])!)
        }
    }

    /// Per-webhook health (DLV-4).
    public func webhookHealth() throws -> [WebhookHealth] {
        try read(Self.webhookHealth)
    }

    package static func webhookHealth(_ db: Database) throws -> [WebhookHealth] {
        try Row.fetchAll(db, sql: """
            SELECT w.id, w.partner_id, w.organisation_id, w.url, w.disabled_at, w.last_success_at, w.last_failure_at,
                   w.consecutive_failures, w.last_error,
                   (SELECT min(created_at) FROM delivery WHERE webhook_id = w.id AND state IN ('pending','failed')) AS oldest_pending,
                   (SELECT count(*) FROM delivery WHERE state = 'pending' AND webhook_id = w.id) AS pending,
                   (SELECT count(*) FROM delivery WHERE state = 'failed' AND webhook_id = w.id) AS failed,
                   (SELECT count(*) FROM delivery WHERE state = 'dead' AND webhook_id = w.id) AS dead,
                   (SELECT count(*) FROM delivery WHERE state = 'delivered' AND webhook_id = w.id) AS delivered
            FROM webhook w ORDER BY w.id
            """).map { row in
            WebhookHealth(webhookID: row["id"], partnerID: row["partner_id"], organisationID: row["organisation_id"], url: row["url"],
                          enabled: (row["disabled_at"] as Int64?) == nil,
                          lastSuccessAt: (row["last_success_at"] as Int64?).map(Instant.date),
                          lastFailureAt: (row["last_failure_at"] as Int64?).map(Instant.date),
                          consecutiveFailures: row["consecutive_failures"], lastError: row["last_error"],
                          oldestPendingAt: (row["oldest_pending"] as Int64?).map(Instant.date),
                          pending: row["pending"], failed: row["failed"], dead: row["dead"], delivered: row["delivered"])
        }
    }
}

/// The values a notification's text was filled with, typed, for programs (#11, "the structured
/// fields a program needs"): instants as UTC ISO-8601, order ids as numbers, reasons and
/// scopes as written. Only what the kind's template names is set; the ids of the subjects are
/// the notification's own columns. Stored beside the text when the wake writes the notification.
public struct NotificationFacts: Codable, Equatable, Sendable {
    /// `{date}`: the instant the text calls "on D" (applied at, window start, ordered at, bill, pause).
    public var date: String?
    /// `{deadline}`: the instant something is due by (automatic upgrade, answer due, deferral deadline).
    public var deadline: String?
    /// `{order}`: the upgrade order's id.
    public var orderID: Int64?
    /// `{reason}`: a failure or pause reason.
    public var reason: String?
    /// `{items}`: readiness checklist items failing, or the most frequent failure reasons.
    public var items: [String]?
    /// `{what}`: `releases` or `programme` (OPS-1).
    public var what: String?
    /// `{scope}`: `partner:ID` or `organisation:ID`.
    public var scope: String?
    /// `{schedule}` of a CAD-8 change: its cadence and deferral weeks (nil: back to the partner's).
    public var cadence: String?
    public var deferWeeks: Int?

    public init(date: Date? = nil, deadline: Date? = nil, orderID: Int64? = nil, reason: String? = nil, items: [String]? = nil,
                what: String? = nil, scope: String? = nil, cadence: String? = nil, deferWeeks: Int? = nil) {
        self.date = date.map(Instant.format)
        self.deadline = deadline.map(Instant.format)
        self.orderID = orderID
        self.reason = reason
        self.items = items
        self.what = what
        self.scope = scope
        self.cadence = cadence
        self.deferWeeks = deferWeeks
    }

    enum CodingKeys: String, CodingKey {
        case date, deadline, reason, items, what, scope, cadence
        case orderID = "order_id"
        case deferWeeks = "defer_weeks"
    }

    /// Nil when nothing is set, so notifications without values store NULL.
    public var json: String? {
        guard self != NotificationFacts() else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) }
    }
}
