import Foundation
import GRDB
import RolloutCore
import RolloutStore

/// An organisation's release settings as an admin sees them (`rolloutctl settings show`).
public struct OrganisationSettings: Codable, Sendable {
    public let organisation: String
    public let cadence: String?
    public let deferWeeks: Int?
    public let scheduleOrigin: String?
    public let scheduleSetAt: Date?
    public let allowCustomerOverride: Bool?
    public let legacyDeferMonths: Int?
    /// When the legacy setting was rewritten as a cadence (CAD-10); null until a customer admin reads it.
    public let legacyMigratedAt: Date?
    /// True when this very read migrated the legacy setting.
    public let migratedNow: Bool
    /// Set when the legacy value was not one of 0, 1, 3: it is treated as `automatic` (CAD-10).
    public let legacyProblem: String?
    public let effective: EffectiveSchedule

    enum CodingKeys: String, CodingKey {
        case organisation, cadence, effective
        case deferWeeks = "defer_weeks"
        case scheduleOrigin = "schedule_origin"
        case scheduleSetAt = "schedule_set_at"
        case allowCustomerOverride = "allow_customer_override"
        case legacyDeferMonths = "legacy_defer_months"
        case legacyMigratedAt = "legacy_migrated_at"
        case migratedNow = "migrated_now"
        case legacyProblem = "legacy_problem"
    }
}

extension Store {
    /// Reads an organisation's settings as `reader`. The first read by a customer admin migrates
    /// a legacy deferral in months to the cadence it maps to (CAD-10), recording when; the
    /// decision never waited for it (the mapping was used at once).
    public func settings(organisation: String, reader: Actor, at instant: Date) throws -> OrganisationSettings {
        try write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM organisation WHERE id = ?", arguments: [organisation]) else {
                throw StoreError(code: .notFound, message: "unknown organisation '\(organisation)'")
            }
            let legacy: Int? = row["legacy_defer_months"]
            var migratedNow = false
            var problem: String?
            if let legacy {
                if case .invalid = LegacyDeferral(months: legacy) {
                    problem = "legacy deferral of \(legacy) month(s) is not 0, 1 or 3: treated as automatic (CAD-10)"
                }
            }
            if reader == .customer, let legacy, row["legacy_migrated_at"] as Int64? == nil, row["cadence"] as String? == nil {
                let schedule = LegacyDeferral(months: legacy).schedule
                try db.execute(sql: """
                    UPDATE organisation SET cadence = ?, defer_weeks = ?, schedule_origin = 'customer', schedule_set_at = ?,
                           legacy_migrated_at = ? WHERE id = ?
                    """, arguments: [schedule.cadence.rawValue, schedule.deferralWeeks, Instant.seconds(instant),
                                     Instant.seconds(instant), organisation])
                try DecisionLog.record(db, Decision(
                    at: instant, kind: .legacyMigrated, subjectKind: "organisation", subjectID: organisation, organisation: organisation,
                    before: "legacy deferral \(legacy) month(s)", after: "\(schedule) (migrated)",
                    beforeValue: DecisionValue(legacyDeferralMonths: legacy), afterValue: .schedule(schedule)))
                // Targets follow a moved schedule at once, as after any outside write (Retargeting).
                if try !ReleaseFacts.refreshEffectiveSchedules(db, ids: [organisation]).isEmpty {
                    try RetargetRequest.add(db, scope: "organisation:\(organisation)", at: instant)
                }
                migratedNow = true
            }
            let current = try Row.fetchOne(db, sql: "SELECT * FROM organisation WHERE id = ?", arguments: [organisation])!
            let facts = try ReleaseFacts.organisations(db, ids: [organisation])[organisation]!
            return OrganisationSettings(
                organisation: organisation, cadence: current["cadence"], deferWeeks: current["defer_weeks"],
                scheduleOrigin: current["schedule_origin"], scheduleSetAt: (current["schedule_set_at"] as Int64?).map(Instant.date),
                allowCustomerOverride: current["allow_customer_override"], legacyDeferMonths: current["legacy_defer_months"],
                legacyMigratedAt: (current["legacy_migrated_at"] as Int64?).map(Instant.date), migratedNow: migratedNow,
                legacyProblem: problem, effective: EffectiveSchedule.resolve(facts))
        }
    }
}
