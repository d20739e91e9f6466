public import Foundation
import GRDB
public import RolloutCore
public import RolloutStore

/// The answer of `rolloutctl explain` (CAD-3): an organisation's effective schedule with the
/// chain of reasons, and the target of each endpoint asked about.
public struct Explanation: Codable, Sendable {
    public struct EndpointTarget: Codable, Sendable {
        public let endpoint: String
        public let user: String?
        public let platform: String
        public let installedVersion: String
        /// The version the endpoint should run at `at`; null for a mobile endpoint (CAD-7).
        public let targetVersion: String?
        /// `upgrade_to`, `up_to_date`, `user_opted_out` (CAD-6) or `out_of_scope` (CAD-7).
        public let decision: String
        public let rule: String
        /// The release targeted and when it became effective under the schedule (CAD-2).
        public let releaseAutomaticDate: Date?
        public let releaseEffectiveAt: Date?
        public let critical: Bool?

        enum CodingKeys: String, CodingKey {
            case endpoint, user, platform, decision, rule, critical
            case installedVersion = "installed_version"
            case targetVersion = "target_version"
            case releaseAutomaticDate = "release_automatic_date"
            case releaseEffectiveAt = "release_effective_at"
        }
    }

    public let organisation: String
    public let at: Date
    public let cadence: String
    public let deferWeeks: Int
    /// The same schedule as a value: `{cadence, deferral_weeks}`.
    public let schedule: DecisionValue
    public let reasons: [ScheduleReason]
    public let endpoints: [EndpointTarget]
    /// Pauses in force for the organisation, its own or its partners' (OPS-1): while one holds
    /// release management, the targets above are not applied.
    public let pauses: [PauseRecord]

    enum CodingKeys: String, CodingKey {
        case organisation, at, cadence, reasons, endpoints, schedule, pauses
        case deferWeeks = "defer_weeks"
    }
}

extension Store {
    /// Resolves CAD-3 live from the stored settings (not the stored result), so the answer is
    /// what the rules say now, and computes the targets of the given user's or endpoint's
    /// endpoints at `at` (CAD-2, CAD-6, CAD-7).
    public func explain(organisation: String, user: String?, endpoint: String?, at: Date, context: RuleContext) throws -> Explanation {
        try read { db in
            guard let facts = try ReleaseFacts.organisations(db, ids: [organisation])[organisation] else {
                throw StoreError(code: .notFound, message: "unknown organisation '\(organisation)'")
            }
            let effective = EffectiveSchedule.resolve(facts)
            let releases = try ReleaseFacts.releases(db)
            let timeline = ReleaseTimeline(releases: releases, calendar: context.calendar)
            var filter = "", arguments: [String] = [organisation]
            if let user {
                filter = " AND e.user_id = ?"
                arguments.append(user)
            } else if let endpoint {
                filter = " AND e.id = ?"
                arguments.append(endpoint)
            }
            let rows = (user == nil && endpoint == nil) ? [] : try Row.fetchAll(db, sql: """
                SELECT e.id, e.user_id, e.platform, e.installed_version, coalesce(u.automatic_upgrades, 'inherit') AS switch
                FROM endpoint e LEFT JOIN user u ON u.id = e.user_id WHERE e.organisation_id = ?\(filter) ORDER BY e.id
                """, arguments: StatementArguments(arguments))
            if let endpoint, rows.isEmpty {
                throw StoreError(code: .notFound, message: "no endpoint '\(endpoint)' in organisation '\(organisation)'")
            }
            if let user, try Bool.fetchOne(db, sql: "SELECT EXISTS (SELECT 1 FROM user WHERE id = ? AND organisation_id = ?)",
                                           arguments: [user, organisation]) != true {
                throw StoreError(code: .notFound, message: "no user '\(user)' in organisation '\(organisation)'")
            }
            let targets = try rows.compactMap { row -> Explanation.EndpointTarget? in
                guard let platform = Platform(rawValue: row["platform"]), let installed = Version(row["installed_version"]) else { return nil }
                let facts = EndpointReleaseFacts(platform: platform, installedVersion: installed,
                                                 automaticUpgrades: try row.decode(AutomaticUpgrades.self, forColumn: "switch"))
                let target = timeline.target(for: facts, at: at, under: effective.schedule)
                let (decision, rule, release): (String, String, Release?) = switch target {
                case .upgradeTo(_, let release): ("upgrade_to", "CAD-2", release)
                case .upToDate: ("up_to_date", "CAD-2", nil)
                case .userOptedOut: ("user_opted_out", "CAD-6", nil)
                case .outOfScope: ("out_of_scope", "CAD-7", nil)
                }
                return Explanation.EndpointTarget(
                    endpoint: row["id"], user: row["user_id"], platform: platform.rawValue, installedVersion: installed.description,
                    targetVersion: target.version?.description, decision: decision, rule: rule,
                    releaseAutomaticDate: release?.automaticDate,
                    releaseEffectiveAt: release.map { $0.effectiveInstant(under: effective.schedule, calendar: context.calendar) },
                    critical: release?.critical)
            }
            return Explanation(organisation: organisation, at: at, cadence: effective.schedule.cadence.rawValue,
                               deferWeeks: effective.schedule.deferralWeeks, schedule: .schedule(effective.schedule),
                               reasons: effective.reasons, endpoints: targets,
                               pauses: try Self.openPauses(db, partner: nil, organisation: organisation))
        }
    }
}
