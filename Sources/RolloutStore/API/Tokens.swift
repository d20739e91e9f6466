import Crypto
public import Foundation
package import GRDB
import RolloutCore

/// Who a token speaks for (API-1).
public enum TokenRole: String, Codable, CaseIterable, Sendable {
    /// A partner admin: one partner and the organisations it manages.
    case partner
    /// A customer admin: one organisation, acting `as customer`.
    case customer
    /// A distributor: the order answers of the partners it serves.
    case distributor
    /// An endpoint agent: the endpoints of one organisation.
    case agent
}

/// A token as `rolloutctl token list` and the API see it: never its secret.
public struct APIToken: Codable, Equatable, Sendable {
    public let id: String
    public let name: String
    public let role: TokenRole
    public let partner: String?
    public let organisation: String?
    public let distributor: String?
    public let createdAt: Date
    public let expiresAt: Date?
    public let lastUsedAt: Date?
    public let revokedAt: Date?

    enum CodingKeys: String, CodingKey {
        case id, name, role, partner, organisation, distributor
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case lastUsedAt = "last_used_at"
        case revokedAt = "revoked_at"
    }

    init(_ row: Row) {
        id = row["id"]
        name = row["name"]
        role = TokenRole(rawValue: row["role"]) ?? .agent
        partner = row["partner_id"]
        organisation = row["organisation_id"]
        distributor = row["distributor_id"]
        createdAt = Instant.date(row["created_at"])
        expiresAt = (row["expires_at"] as Int64?).map(Instant.date)
        lastUsedAt = (row["last_used_at"] as Int64?).map(Instant.date)
        revokedAt = (row["revoked_at"] as Int64?).map(Instant.date)
    }

    /// Usable at `instant`: not revoked, not expired.
    public func isValid(at instant: Date) -> Bool {
        revokedAt == nil && (expiresAt.map { instant < $0 } ?? true)
    }
}

/// A new token and its secret, which exists only in this value: the database keeps its hash.
public struct CreatedToken: Codable, Sendable {
    public let token: APIToken
    /// `rlt_<id>_<secret>`, the bearer credential. Shown once.
    public let secret: String
}

/// Token formats: `rlt_` + a 12-hex-digit public id + `_` + 43 base64url characters of secret.
enum TokenFormat {
    static let prefix = "rlt_"

    /// The public id and the secret part of a presented bearer token, if it has the shape of one.
    static func split(_ bearer: String) -> (id: String, secret: Substring)? {
        guard bearer.hasPrefix(prefix), bearer.utf8.count == prefix.utf8.count + 12 + 1 + 43 else { return nil }
        let body = bearer.dropFirst(prefix.count)
        let id = body.prefix(12)
        guard id.allSatisfy(\.isHexDigit), body.dropFirst(12).first == "_" else { return nil }
        return (String(id), body.dropFirst(13))
    }

    static func digest<S: StringProtocol>(_ secret: S) -> Data {
        Data(SHA256.hash(data: Data(secret.utf8)))
    }

    static func randomSecret() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func randomID() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<6).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }.joined()
    }

    /// Compares two digests in time independent of where they differ.
    static func equal(_ a: Data, _ b: Data) -> Bool {
        guard a.count == b.count else { return false }
        return zip(a, b).reduce(UInt8(0)) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

extension Store {
    /// Creates a token for one scope (API-1). The scope must name what exists: the partner of a
    /// partner token, the organisation of a customer or agent token. Returns the secret once.
    public func createToken(name: String, role: TokenRole, partner: String?, organisation: String?, distributor: String?,
                            expiresAt: Date?, at instant: Date) throws -> CreatedToken {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty, name.count <= 100 else {
            throw StoreError(code: .refused, message: "a token needs a name of 1 to 100 characters (--name)")
        }
        if let expiresAt, expiresAt <= instant {
            throw StoreError(code: .refused, message: "--expires \(Instant.format(expiresAt)) is not in the future")
        }
        let needs: (partner: Bool, organisation: Bool, distributor: Bool) = switch role {
        case .partner: (true, false, false)
        case .customer, .agent: (false, true, false)
        case .distributor: (false, false, true)
        }
        for (flag, needed, given) in [("--partner", needs.partner, partner), ("--org", needs.organisation, organisation),
                                      ("--distributor", needs.distributor, distributor)] {
            if needed && given == nil { throw StoreError(code: .refused, message: "a \(role.rawValue) token needs \(flag)") }
            if !needed && given != nil { throw StoreError(code: .refused, message: "a \(role.rawValue) token takes no \(flag)") }
        }
        if let distributor, distributor.isEmpty || distributor.count > 100 {
            throw StoreError(code: .refused, message: "--distributor must be 1 to 100 characters")
        }
        let secret = TokenFormat.randomSecret()
        let id = TokenFormat.randomID()
        return try write { db in
            if let partner, try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM partner WHERE id = ?)", arguments: [partner])! {
                throw StoreError(code: .notFound, message: "unknown partner '\(partner)'")
            }
            if let organisation,
               try !Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM organisation WHERE id = ?)", arguments: [organisation])! {
                throw StoreError(code: .notFound, message: "unknown organisation '\(organisation)'")
            }
            try db.execute(sql: """
                INSERT INTO api_token (id, name, role, partner_id, organisation_id, distributor_id, secret_sha256, created_at, expires_at)
                VALUES (?,?,?,?,?,?,?,?,?)
                """, arguments: [id, name, role.rawValue, partner, organisation, distributor, TokenFormat.digest(secret),
                                 Instant.seconds(instant), expiresAt.map(Instant.seconds)])
            let row = try Row.fetchOne(db, sql: "SELECT * FROM api_token WHERE id = ?", arguments: [id])!
            return CreatedToken(token: APIToken(row), secret: TokenFormat.prefix + id + "_" + secret)
        }
    }

    /// Every token, newest first, without secrets.
    public func tokens() throws -> [APIToken] {
        try read { db in try Row.fetchAll(db, sql: "SELECT * FROM api_token ORDER BY created_at DESC, id").map(APIToken.init) }
    }

    /// Revokes a token for good; revoking it again keeps the first instant.
    public func revokeToken(id: String, at instant: Date) throws -> APIToken {
        try write { db in
            try db.execute(sql: "UPDATE api_token SET revoked_at = coalesce(revoked_at, ?) WHERE id = ?",
                           arguments: [Instant.seconds(instant), id])
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM api_token WHERE id = ?", arguments: [id]) else {
                throw StoreError(code: .notFound, message: "unknown token '\(id)' (rolloutctl token list shows the ids)")
            }
            return APIToken(row)
        }
    }

    /// The token a bearer credential belongs to, if it is one, valid at `instant`. Reads only:
    /// the API records last use in batches (`recordTokenUse`), so authenticating never waits for
    /// the write lock (API-6).
    public func authenticate(bearer: String, at instant: Date) throws -> APIToken? {
        guard let (id, secret) = TokenFormat.split(bearer) else { return nil }
        let presented = TokenFormat.digest(secret)
        return try read { db in
            // A cached statement: every request authenticates, so it is prepared once per connection.
            guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM api_token WHERE id = ?"), arguments: [id]),
                  TokenFormat.equal(row["secret_sha256"], presented) else { return nil }
            let token = APIToken(row)
            return token.isValid(at: instant) ? token : nil
        }
    }

    /// Records when tokens were last used, keeping the latest instant.
    package static func recordTokenUse(_ db: Database, _ uses: [String: Date]) throws {
        let statement = try db.makeStatement(sql: "UPDATE api_token SET last_used_at = max(coalesce(last_used_at, 0), ?) WHERE id = ?")
        for (id, at) in uses { try statement.execute(arguments: [Instant.seconds(at), id]) }
    }
}
