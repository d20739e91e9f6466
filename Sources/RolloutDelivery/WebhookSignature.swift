import Crypto
public import Foundation

/// Standard Webhooks signing (DLV-1, DLV-5): `webhook-signature` is `v1,<base64 HMAC-SHA256>` of
/// `id.timestamp.body`, keyed with the base64-decoded part of the secret after `whsec_`. While a
/// rotation overlaps, one signature per secret, space-separated: a receiver that knows either
/// secret verifies.
public enum WebhookSignature {
    public static let secretPrefix = "whsec_"

    /// The header value for a message signed with each of `secrets`.
    public static func header(id: String, timestamp: Int64, body: Data, secrets: [String]) throws(SecretError) -> String {
        var signed = Data("\(id).\(timestamp).".utf8)
        signed.append(body)
        var signatures: [String] = []
        for secret in secrets {
            let key = SymmetricKey(data: try keyBytes(secret))
            signatures.append("v1," + Data(HMAC<SHA256>.authenticationCode(for: signed, using: key)).base64EncodedString())
        }
        return signatures.joined(separator: " ")
    }

    /// A new secret: `whsec_` and 32 random bytes in base64 (the system's CSPRNG).
    public static func generateSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return secretPrefix + Data(bytes).base64EncodedString()
    }

    static func keyBytes(_ secret: String) throws(SecretError) -> Data {
        guard secret.hasPrefix(secretPrefix), let key = Data(base64Encoded: String(secret.dropFirst(secretPrefix.count))), !key.isEmpty else {
            throw SecretError()
        }
        return key
    }

    /// A stored secret that is not `whsec_` followed by base64: the row was edited by hand.
    public struct SecretError: Error, CustomStringConvertible {
        public var description: String { "the webhook's secret is not whsec_<base64>; rotate it with `rolloutctl webhook rotate-secret`" }
    }
}
