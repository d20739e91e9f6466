public import RolloutStore

/// A webhook and its new secret, shown once: `rolloutctl webhook add --json` and
/// `rotate-secret --json`, and the API's answers to the same requests.
public struct WebhookWithSecret: Encodable, Sendable {
    public let webhook: Webhook
    public let secret: String

    public init(webhook: Webhook, secret: String) {
        self.webhook = webhook
        self.secret = secret
    }

    public func encode(to encoder: any Encoder) throws {
        try webhook.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(secret, forKey: .secret)
    }

    private enum Key: String, CodingKey { case secret }
}
