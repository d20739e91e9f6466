public import Foundation
import GRDB
public import RolloutCore

/// The actor of a write made through the API and what it asked for (API-2). While it is bound
/// (`Store.$auditedRequest.withValue(…)`), every `Store.write` records it in `request_audit` in
/// the same transaction as the write: the audit line exists exactly when the write committed,
/// whichever engine call made it.
public struct AuditedRequest: Sendable {
    public let tokenID: String
    public let tokenName: String
    public let role: TokenRole
    /// `schedule.set`, `programme.create`, `endpoint.event`, …
    public let action: String
    public let subjectKind: String
    public let subjectID: String
    public let partner: String?
    public let organisation: String?
    public let at: Date
    /// The caller's id for this request, unique per subject: a retry with the same key is refused
    /// by the database and answered from what the first one did (API-3).
    public let requestKey: String?

    public init(token: APIToken, action: String, subjectKind: String, subjectID: String, partner: String?, organisation: String?,
                at: Date, requestKey: String? = nil) {
        tokenID = token.id
        tokenName = token.name
        role = token.role
        self.action = action
        self.subjectKind = subjectKind
        self.subjectID = subjectID
        self.partner = partner
        self.organisation = organisation
        self.at = at
        self.requestKey = requestKey
    }

    func record(_ db: Database) throws {
        try db.execute(sql: """
            INSERT INTO request_audit (at, token_id, token_name, role, action, subject_kind, subject_id, partner_id, organisation_id,
                                       request_key)
            VALUES (?,?,?,?,?,?,?,?,?,?)
            """, arguments: [Instant.seconds(at), tokenID, tokenName, role.rawValue, action, subjectKind, subjectID, partner, organisation,
                             requestKey])
    }
}

extension Store {
    /// The API request on whose behalf this task writes, if any.
    @TaskLocal public static var auditedRequest: AuditedRequest?
}

extension Store {
    /// The endpoint's lifecycle state if an event with this key was already applied to it.
    public func replayedEventState(endpoint: String, requestKey: String) throws -> EndpointUpgradeState? {
        try read { db in
            try String.fetchOne(db, sql: """
                SELECT e.upgrade_state FROM request_audit a JOIN endpoint e ON e.id = a.subject_id
                WHERE a.subject_kind = 'endpoint' AND a.subject_id = ? AND a.request_key = ?
                """, arguments: [endpoint, requestKey]).flatMap(EndpointUpgradeState.init(rawValue:))
        }
    }
}
