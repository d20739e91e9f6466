public import Foundation
import GRDB
import RolloutCore
public import RolloutStore

extension Store {
    /// Applies a batch of check-ins in one transaction (API-6: one commit for many agents).
    /// Each records the check-in instant, agent and OS versions; a changed installed version is
    /// recorded as `reportInstalledVersion` does; acknowledged end-user notifications of that
    /// endpoint are marked delivered. Check-ins of endpoints that no longer exist are skipped.
    /// `tokenUses` (token id → last use) are recorded in the same commit.
    /// - Returns: how many check-ins were applied.
    @discardableResult
    public func recordCheckIns(_ reports: [CheckInReport], tokenUses: [String: Date] = [:]) throws -> Int {
        try write { db in
            try Self.recordTokenUse(db, tokenUses)
            let seen = try db.makeStatement(sql: """
                UPDATE endpoint SET last_check_in = max(coalesce(last_check_in, 0), ?1), agent_version = coalesce(?2, agent_version),
                       os_version = coalesce(?3, os_version)
                WHERE id = ?4 RETURNING installed_version, organisation_id
                """)
            let acknowledge = try db.makeStatement(sql: """
                INSERT OR IGNORE INTO end_user_delivery (notification_id, delivered_at)
                SELECT id, ?1 FROM notification WHERE id = ?2 AND endpoint_id = ?3 AND audience = 'end_user'
                """)
            var applied = 0
            for report in reports {
                let at = Instant.seconds(report.at)
                guard let row = try Row.fetchOne(seen, arguments: [at, report.agentVersion, report.osVersion, report.endpoint]) else {
                    continue
                }
                let installed: String = row["installed_version"]
                if installed != report.installedVersion.description {
                    try Self.recordInstalledVersion(db, endpoint: report.endpoint, organisation: row["organisation_id"], before: installed,
                                                    version: report.installedVersion, at: report.at)
                }
                for id in report.acknowledged { try acknowledge.execute(arguments: [at, id, report.endpoint]) }
                applied += 1
            }
            return applied
        }
    }
}
