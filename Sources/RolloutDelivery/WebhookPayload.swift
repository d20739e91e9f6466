import Foundation
import RolloutCore
import RolloutStore

/// The JSON body of a webhook request (docs/delivery.md). The Standard Webhooks envelope —
/// `type`, `timestamp`, `data` — with everything a program needs in `data`: who it is for, what
/// it is about (the idempotency key's subject and occurrence, the entity ids), when it was due and
/// whether it is late (NOT-3), the text in the partner's language (NOT-2) and the values that
/// text was filled with, typed (`values`). Encoded with sorted keys, so every retry of a delivery
/// carries the same bytes.
struct WebhookPayload: Encodable {
    struct Notification: Encodable {
        let id: String
        let notificationID: Int64
        let kind: String
        let audience: String
        let subject: String
        let occurrence: String
        let partnerID: String?
        let organisationID: String?
        let userID: String?
        let endpointID: String?
        let dueAt: String
        let emittedAt: String
        let late: Bool
        let locale: String
        let title: String
        let text: String
        /// The template's values, typed (dates, order id, reason, …); absent for notifications
        /// written before they were kept.
        let values: NotificationFacts?

        enum CodingKeys: String, CodingKey {
            case id, kind, audience, subject, occurrence, late, locale, title, text, values
            case notificationID = "notification_id"
            case partnerID = "partner_id"
            case organisationID = "organisation_id"
            case userID = "user_id"
            case endpointID = "endpoint_id"
            case dueAt = "due_at"
            case emittedAt = "emitted_at"
        }
    }

    struct Ping: Encodable {
        let webhookID: Int64
        let partnerID: String
        let organisationID: String?
        let message: String

        enum CodingKeys: String, CodingKey {
            case message
            case webhookID = "webhook_id"
            case partnerID = "partner_id"
            case organisationID = "organisation_id"
        }
    }

    enum Body: Encodable {
        case notification(Notification)
        case ping(Ping)

        func encode(to encoder: any Encoder) throws {
            switch self {
            case .notification(let value): try value.encode(to: encoder)
            case .ping(let value): try value.encode(to: encoder)
            }
        }
    }

    let type: String
    let timestamp: String
    let data: Body

    static func notification(_ n: OutboxNotification) -> WebhookPayload {
        let (subject, occurrence) = keyParts(n.idempotencyKey)
        return WebhookPayload(type: n.kind, timestamp: Instant.format(n.emittedAt), data: .notification(Notification(
            id: n.idempotencyKey, notificationID: n.id, kind: n.kind, audience: n.audience, subject: subject, occurrence: occurrence,
            partnerID: n.partnerID, organisationID: n.organisationID, userID: n.userID, endpointID: n.endpointID,
            dueAt: Instant.format(n.dueAt), emittedAt: Instant.format(n.emittedAt), late: n.late, locale: n.locale,
            title: n.subject, text: n.body, values: n.facts)))
    }

    static func ping(webhook: Webhook, at: Date) -> WebhookPayload {
        WebhookPayload(type: "ping", timestamp: Instant.format(at), data: .ping(Ping(
            webhookID: webhook.id, partnerID: webhook.partnerID, organisationID: webhook.organisationID,
            message: "rolloutd webhook test: this endpoint is registered and its signature verifies")))
    }

    func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// The subject and occurrence of a canonical key `kind|subject|occurrence` (IdempotencyKey's
    /// escaping: `\|` is a literal bar, `\\` a backslash).
    static func keyParts(_ key: String) -> (subject: String, occurrence: String) {
        var fields: [String] = [""]
        var escaped = false
        for character in key {
            if escaped {
                fields[fields.count - 1].append(character)
                escaped = false
            } else if character == "\\" {
                escaped = true
            } else if character == "|" {
                fields.append("")
            } else {
                fields[fields.count - 1].append(character)
            }
        }
        return fields.count == 3 ? (fields[1], fields[2]) : ("", "")
    }
}
