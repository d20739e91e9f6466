import Foundation
import GRDB
import RolloutCore

/// Reads the facts the release-management rules (CAD) decide from, and keeps each
/// organisation's resolved schedule current.
package enum ReleaseFacts {
    /// Release settings of every partner, by id.
    package static func partners(_ db: Database) throws -> [String: PartnerReleaseSettings] {
        var result: [String: PartnerReleaseSettings] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT id, release_management, allow_customer_override, cadence, defer_weeks, schedule_set_at FROM partner
            """) {
            let id: String = row["id"]
            result[id] = PartnerReleaseSettings(
                partnerID: id, releaseManagementEnabled: row["release_management"],
                schedule: schedule(row).map { PartnerSchedule(schedule: $0, setAt: setAt(row)) },
                allowCustomerOverride: row["allow_customer_override"])
        }
        return result
    }

    /// The CAD-3 inputs of the given organisations (all when nil), by id.
    package static func organisations(_ db: Database, ids: Set<String>?) throws -> [String: OrganisationReleaseFacts] {
        let partners = try partners(db)
        var managers: [String: [PartnerReleaseSettings]] = [:]
        var facts: [String: OrganisationReleaseFacts] = [:]
        let filter = ids.map { " WHERE organisation_id IN (\(placeholders($0.count)))" } ?? ""
        for row in try Row.fetchAll(db, sql: "SELECT organisation_id, partner_id FROM organisation_partner\(filter)",
                                    arguments: StatementArguments(ids.map(Array.init) ?? [])) {
            if let partner = partners[row[1] as String] { managers[row[0], default: []].append(partner) }
        }
        let orgFilter = ids.map { " WHERE id IN (\(placeholders($0.count)))" } ?? ""
        for row in try Row.fetchAll(db, sql: """
            SELECT id, cadence, defer_weeks, schedule_origin, schedule_set_at, allow_customer_override, legacy_defer_months
            FROM organisation\(orgFilter)
            """, arguments: StatementArguments(ids.map(Array.init) ?? [])) {
            let id: String = row["id"]
            let origin = (row["schedule_origin"] as String?).flatMap(Actor.init(rawValue:)) ?? .partner
            facts[id] = OrganisationReleaseFacts(
                partners: (managers[id] ?? []).sorted { $0.partnerID < $1.partnerID },
                schedule: schedule(row).map { OrganisationSchedule(schedule: $0, origin: origin, setAt: setAt(row)) },
                allowCustomerOverride: row["allow_customer_override"],
                legacyDeferralMonths: row["legacy_defer_months"])
        }
        return facts
    }

    /// Every release with the platforms it ships builds for.
    package static func releases(_ db: Database) throws -> [Release] {
        var platforms: [String: Set<Platform>] = [:]
        for row in try Row.fetchAll(db, sql: "SELECT version, platform FROM release_build") {
            if let platform = Platform(rawValue: row[1]) { platforms[row[0], default: []].insert(platform) }
        }
        return try Row.fetchAll(db, sql: "SELECT version, auto_date, critical FROM release ORDER BY version_key").compactMap { row in
            let text: String = row["version"]
            guard let version = Version(text) else { return nil }
            return Release(version: version, automaticDate: Instant.date(row["auto_date"]), critical: row["critical"],
                           platforms: platforms[text] ?? [])
        }
    }

    /// Resolves CAD-3 for the given organisations (all when nil) and stores the result.
    /// Returns the organisations whose effective schedule changed, with before and after.
    @discardableResult
    package static func refreshEffectiveSchedules(_ db: Database, ids: Set<String>?) throws -> [(id: String, before: Schedule, after: EffectiveSchedule)] {
        let facts = try organisations(db, ids: ids)
        var current: [String: Schedule] = [:]
        let filter = ids.map { " WHERE id IN (\(placeholders($0.count)))" } ?? ""
        for row in try Row.fetchAll(db, sql: "SELECT id, effective_cadence, effective_defer_weeks FROM organisation\(filter)",
                                    arguments: StatementArguments(ids.map(Array.init) ?? [])) {
            if let cadence = Cadence(rawValue: row[1]) {
                current[row[0]] = Schedule(stored: cadence, deferralWeeks: row[2])
            }
        }
        let update = try db.makeStatement(sql: """
            UPDATE organisation SET effective_cadence = ?, effective_defer_weeks = ?, effective_reasons = ? WHERE id = ?
            """)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var changed: [(id: String, before: Schedule, after: EffectiveSchedule)] = []
        for (id, organisation) in facts.sorted(by: { $0.key < $1.key }) {
            let effective = EffectiveSchedule.resolve(organisation)
            let reasons = String(decoding: try encoder.encode(effective.reasons), as: UTF8.self)
            try update.execute(arguments: [effective.schedule.cadence.rawValue, effective.schedule.deferralWeeks, reasons, id])
            let before = current[id] ?? .vendorDefault
            if before != effective.schedule { changed.append((id, before, effective)) }
        }
        return changed
    }

    package static func placeholders(_ count: Int) -> String {
        Array(repeating: "?", count: count).joined(separator: ",")
    }

    private static func schedule(_ row: Row) -> Schedule? {
        guard let text: String = row["cadence"], let cadence = Cadence(rawValue: text), let weeks: Int = row["defer_weeks"] else {
            return nil
        }
        return Schedule(stored: cadence, deferralWeeks: weeks)
    }

    /// Settings loaded from a document have no request time; the epoch stands for "as loaded".
    private static func setAt(_ row: Row) -> Date {
        (row["schedule_set_at"] as Int64?).map(Instant.date) ?? Date(timeIntervalSince1970: 0)
    }
}
