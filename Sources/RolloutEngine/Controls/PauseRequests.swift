public import Foundation
import GRDB
public import RolloutCore
public import RolloutStore

extension Store {
    /// OPS-1: pauses `areas` for a partner, or for one organisation it manages, from `instant`.
    /// Checked as every request is: the partner and organisation exist, the partner manages
    /// the organisation, a reason is given, and the scope is not already paused for an area.
    /// Nothing is written when any check fails.
    @discardableResult
    public func pause(partner: String, organisation: String?, areas: [PauseArea], reason: String, actor: String,
                      at instant: Date) throws -> [PauseRecord] {
        try write { db in
            try Self.checkScope(db, partner: partner, organisation: organisation)
            guard !reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw StoreError(code: .refused, message: "refused: a pause needs a reason (--reason TEXT), shown to the partner admins (OPS-1)")
            }
            var ids: [Int64] = []
            for area in areas {
                if let open = try Row.fetchOne(db, sql: """
                    SELECT * FROM pause WHERE partner_id = ? AND organisation_id IS ? AND area = ? AND resumed_at IS NULL
                    """, arguments: [partner, organisation, area.rawValue]).map(PauseRecord.init) {
                    throw StoreError(code: .refused, message: "refused: \(area.rawValue) of \(open.scope) is already paused since "
                                     + "\(Instant.format(open.since)) by \(open.actor) (\(open.reason)); resume it first (OPS-1)")
                }
                try db.execute(sql: """
                    INSERT INTO pause (partner_id, organisation_id, area, reason, actor, paused_at) VALUES (?,?,?,?,?,?)
                    """, arguments: [partner, organisation, area.rawValue, reason, actor, Instant.seconds(instant)])
                ids.append(db.lastInsertedRowID)
            }
            return try ids.map { try Self.pauseRecord(db, id: $0) }
        }
    }

    /// OPS-1: ends the pauses of `areas` for exactly this scope (a partner, or one organisation)
    /// at `instant`. What fell due meanwhile is decided at the next wake; end users' deferral
    /// deadlines move by the pause's length then. Refused when nothing of that is paused.
    @discardableResult
    public func resume(partner: String, organisation: String?, areas: [PauseArea], actor: String,
                       at instant: Date) throws -> [PauseRecord] {
        try write { db in
            try Self.checkScope(db, partner: partner, organisation: organisation)
            let open = try Row.fetchAll(db, sql: """
                SELECT * FROM pause WHERE partner_id = ? AND organisation_id IS ? AND resumed_at IS NULL
                  AND area IN (\(areas.map { "'\($0.rawValue)'" }.joined(separator: ","))) ORDER BY id
                """, arguments: [partner, organisation]).map(PauseRecord.init)
            let scope = organisation.map { "organisation:\($0)" } ?? "partner:\(partner)"
            guard !open.isEmpty else {
                throw StoreError(code: .refused, message: "refused: \(areas.map(\.rawValue).joined(separator: " and ")) of \(scope) "
                                 + "is not paused (OPS-1); `rolloutctl status` lists the pauses in force")
            }
            if let early = open.first(where: { $0.since > instant }) {
                throw StoreError(code: .refused, message: "refused: the pause of \(early.what) of \(scope) begins at "
                                 + "\(Instant.format(early.since)), after \(Instant.format(instant)) (OPS-1)")
            }
            for pause in open {
                try db.execute(sql: "UPDATE pause SET resumed_at = ?, resumed_by = ? WHERE id = ?",
                               arguments: [Instant.seconds(instant), actor, pause.id])
            }
            return try open.map { try Self.pauseRecord(db, id: $0.id) }
        }
    }

    static func pauseRecord(_ db: Database, id: Int64) throws -> PauseRecord {
        PauseRecord(try Row.fetchOne(db, sql: "SELECT * FROM pause WHERE id = ?", arguments: [id])!)
    }

    static func checkScope(_ db: Database, partner: String, organisation: String?) throws {
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM partner WHERE id = ?)", arguments: [partner]) == true else {
            throw StoreError(code: .notFound, message: "no such partner '\(partner)'")
        }
        guard let organisation else { return }
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM organisation WHERE id = ?)", arguments: [organisation]) == true else {
            throw StoreError(code: .notFound, message: "no such organisation '\(organisation)'")
        }
        guard try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM organisation_partner WHERE organisation_id = ? AND partner_id = ?)",
                                arguments: [organisation, partner]) == true else {
            throw StoreError(code: .refused, message: "refused: partner '\(partner)' does not manage organisation '\(organisation)'")
        }
    }
}
