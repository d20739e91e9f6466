public import Foundation
package import GRDB
package import RolloutCore

/// One pause of release management or of the upgrade programme, for a partner or one of its
/// organisations (OPS-1), as `status`, `progress` and `explain` show it.
public struct PauseRecord: Codable, Equatable, Sendable {
    public let id: Int64
    /// `partner:ID` or `organisation:ID`.
    public let scope: String
    public let partner: String
    public let organisation: String?
    /// `releases` or `programme`.
    public let what: String
    public let since: Date
    public let reason: String
    /// `operator` (CLI), a token's name (API), or `failure_threshold` (OPS-3, automatic).
    public let actor: String
    public let resumedAt: Date?
    public let resumedBy: String?

    enum CodingKeys: String, CodingKey {
        case id, scope, partner, organisation, what, since, reason, actor
        case resumedAt = "resumed_at"
        case resumedBy = "resumed_by"
    }

    package init(_ row: Row) {
        id = row["id"]
        partner = row["partner_id"]
        organisation = row["organisation_id"]
        scope = organisation.map { "organisation:\($0)" } ?? "partner:\(partner)"
        what = row["area"]
        since = Instant.date(row["paused_at"])
        reason = row["reason"]
        actor = row["actor"]
        resumedAt = (row["resumed_at"] as Int64?).map(Instant.date)
        resumedBy = row["resumed_by"]
    }
}

/// The actor of an automatic pause (OPS-3): only a person resumes it.
public let failureThresholdActor = "failure_threshold"

/// SQL the rules use to leave paused subjects alone (OPS-1). A pause is in force at instant T
/// when it began at or before T and was not resumed at or before T.
package enum Pauses {
    package static func inForce(_ at: String) -> String {
        "ps.paused_at <= \(at) AND (ps.resumed_at IS NULL OR ps.resumed_at > \(at))"
    }

    /// True when `organisation` (an SQL expression) is paused for `area` at `at`: by a pause of
    /// that organisation, or of the whole of one of its managing partners.
    package static func organisationHeld(_ area: PauseArea, organisation: String, at: String) -> String {
        """
        EXISTS (SELECT 1 FROM pause ps WHERE ps.area = '\(area.rawValue)' AND ps.resume_noted_at IS NULL AND \(inForce(at))
                AND (ps.organisation_id = \(organisation)
                     OR (ps.organisation_id IS NULL AND ps.partner_id IN
                         (SELECT op_ps.partner_id FROM organisation_partner op_ps WHERE op_ps.organisation_id = \(organisation)))))
        """
    }

    /// True when the whole of `partner` (an SQL expression) is paused for `area` at `at`.
    package static func partnerHeld(_ area: PauseArea, partner: String, at: String) -> String {
        """
        EXISTS (SELECT 1 FROM pause ps WHERE ps.area = '\(area.rawValue)' AND ps.resume_noted_at IS NULL AND \(inForce(at))
                AND ps.organisation_id IS NULL AND ps.partner_id = \(partner))
        """
    }

    /// True when a `schedule_change` row's subject is paused for release management at `at`.
    package static func changeHeld(at: String) -> String {
        """
        (CASE WHEN schedule_change.organisation_id IS NOT NULL
              THEN \(organisationHeld(.releases, organisation: "schedule_change.organisation_id", at: at))
              ELSE \(partnerHeld(.releases, partner: "schedule_change.partner_id", at: at)) END)
        """
    }

    /// The ids of pending CAD-8 requests whose subject is paused at `at`: they wait (OPS-1).
    package static func heldChanges(_ db: Database, at: Date) throws -> Set<String> {
        guard try anyInForce(db, area: .releases, at: at) else { return [] }
        return Set(try Int64.fetchAll(db, sql: """
            SELECT id FROM schedule_change WHERE applied_at IS NULL AND superseded_at IS NULL AND cancelled_at IS NULL
              AND \(changeHeld(at: "?1"))
            """, arguments: [Instant.seconds(at)]).map(String.init))
    }

    /// `AND NOT <organisation held>` while a pause of `area` is in force at `at`, else nothing:
    /// the filter a step adds so paused organisations' endpoints stay where they are.
    package static func unlessHeld(_ db: Database, _ area: PauseArea, organisation: String, at: Date) throws -> String {
        try anyInForce(db, area: area, at: at)
            ? "AND NOT \(organisationHeld(area, organisation: organisation, at: String(Instant.seconds(at))))" : ""
    }

    /// Whether any pause of `area` is in force at `at`: the rules add their per-subject checks
    /// only then, so a fleet without pauses pays nothing for them.
    package static func anyInForce(_ db: Database, area: PauseArea, at: Date) throws -> Bool {
        try Bool.fetchOne(db, sql: """
            SELECT EXISTS (SELECT 1 FROM pause ps WHERE ps.area = ?1 AND ps.resume_noted_at IS NULL AND \(inForce("?2")))
            """, arguments: [area.rawValue, Instant.seconds(at)]) ?? false
    }
}

extension Store {
    /// The pauses not yet resumed, optionally of one partner or organisation (its own and its
    /// partners' whole-partner pauses), oldest first.
    public func activePauses(partner: String? = nil, organisation: String? = nil) throws -> [PauseRecord] {
        try read { db in try Self.openPauses(db, partner: partner, organisation: organisation) }
    }

    package static func openPauses(_ db: Database, partner: String?, organisation: String?) throws -> [PauseRecord] {
        try Row.fetchAll(db, sql: """
            SELECT * FROM pause WHERE resumed_at IS NULL AND (?1 IS NULL OR partner_id = ?1)
              AND (?2 IS NULL OR organisation_id = ?2
                   OR (organisation_id IS NULL AND partner_id IN (SELECT partner_id FROM organisation_partner WHERE organisation_id = ?2)))
            ORDER BY paused_at, id
            """, arguments: [partner, organisation]).map(PauseRecord.init)
    }
}
