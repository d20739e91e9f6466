import Foundation
import GRDB
import RolloutCore

extension KnownIDs {
    /// The ids the store already holds, for reference checks.
    public static func fetch(_ db: Database) throws -> KnownIDs {
        var ids = KnownIDs()
        ids.partners = Set(try String.fetchAll(db, sql: "SELECT id FROM partner"))
        ids.organisations = Set(try String.fetchAll(db, sql: "SELECT id FROM organisation"))
        for row in try Row.fetchAll(db, sql: "SELECT id, organisation_id FROM user") {
            ids.users[row[0]] = row[1]
        }
        return ids
    }
}

/// Upserts each entity by id as the reader hands it over. Each object is the whole declared
/// state of its entity: optional fields it omits return to their defaults. What the daemon owns
/// (targets, lifecycle, migration times, orders) is never touched by a document.
///
/// A schedule the document sets or changes is recorded as set at `loadedAt` (CAD-3 reasons
/// say who set it and when). Foreign keys are checked at commit (`defer_foreign_keys`), since
/// an element may name one that comes later in the file; the reader has checked every
/// reference by then, with its JSON path.
struct DocumentWriter: DocumentSink {
    let db: Database
    let loadedAt: Int64
    /// The organisations whose CAD-3 inputs the document may have changed: those it names and
    /// those managed by a partner it names.
    private(set) var organisationIDs: [String] = []
    private(set) var partnerIDs: [String] = []
    private let partnerStatement, organisationStatement, clearPartners, addPartner, userStatement, endpointStatement: Statement
    private let releaseStatement, canonicalVersion, clearBuilds, addBuild: Statement

    init(_ db: Database, loadedAt: Int64) throws {
        self.db = db
        self.loadedAt = loadedAt
        try db.execute(sql: "PRAGMA defer_foreign_keys = ON")
        partnerStatement = try db.makeStatement(sql: """
            INSERT INTO partner (id, name, locale, release_management, allow_customer_override, cadence, defer_weeks,
                                 upgrade_policy, upgrade_delay_days, end_user_deferral_days, billing_day, schedule_set_at)
            VALUES (?,?,?,?,?,?,?,?,?,?,?,?)
            ON CONFLICT(id) DO UPDATE SET name=excluded.name, locale=excluded.locale,
                release_management=excluded.release_management, allow_customer_override=excluded.allow_customer_override,
                schedule_set_at = CASE WHEN cadence IS excluded.cadence AND defer_weeks IS excluded.defer_weeks
                                       THEN schedule_set_at ELSE excluded.schedule_set_at END,
                cadence=excluded.cadence, defer_weeks=excluded.defer_weeks, upgrade_policy=excluded.upgrade_policy,
                upgrade_delay_days=excluded.upgrade_delay_days, end_user_deferral_days=excluded.end_user_deferral_days,
                billing_day=excluded.billing_day
            """)
        organisationStatement = try db.makeStatement(sql: """
            INSERT INTO organisation (id, name, generation, cadence, defer_weeks, schedule_origin, allow_customer_override,
                                      legacy_defer_months, upgrade_delay_days, schedule_set_at, policy_features)
            VALUES (?,?,?,?,?,?,?,?,?,?,?)
            ON CONFLICT(id) DO UPDATE SET name=excluded.name, generation=excluded.generation,
                schedule_set_at = CASE WHEN cadence IS excluded.cadence AND defer_weeks IS excluded.defer_weeks
                                       AND schedule_origin IS excluded.schedule_origin THEN schedule_set_at
                                       ELSE excluded.schedule_set_at END,
                cadence=excluded.cadence, defer_weeks=excluded.defer_weeks, schedule_origin=excluded.schedule_origin,
                allow_customer_override=excluded.allow_customer_override, legacy_defer_months=excluded.legacy_defer_months,
                upgrade_delay_days=excluded.upgrade_delay_days, policy_features=excluded.policy_features
            """)
        clearPartners = try db.makeStatement(sql: "DELETE FROM organisation_partner WHERE organisation_id = ?")
        addPartner = try db.makeStatement(sql: "INSERT INTO organisation_partner (organisation_id, partner_id) VALUES (?, ?)")
        userStatement = try db.makeStatement(sql: """
            INSERT INTO user (id, organisation_id, name, automatic_upgrades) VALUES (?,?,?,?)
            ON CONFLICT(id) DO UPDATE SET organisation_id=excluded.organisation_id, name=excluded.name,
                automatic_upgrades=excluded.automatic_upgrades
            """)
        endpointStatement = try db.makeStatement(sql: """
            INSERT INTO endpoint (id, organisation_id, user_id, platform, os_version, installed_version, installed_version_key,
                                  agent_generation, agent_version, last_check_in)
            VALUES (?,?,?,?,?,?,?,?,?,?)
            ON CONFLICT(id) DO UPDATE SET organisation_id=excluded.organisation_id, user_id=excluded.user_id,
                platform=excluded.platform, os_version=excluded.os_version, installed_version=excluded.installed_version,
                installed_version_key=excluded.installed_version_key, agent_generation=excluded.agent_generation,
                agent_version=excluded.agent_version, last_check_in=excluded.last_check_in
            """)
        releaseStatement = try db.makeStatement(sql: """
            INSERT INTO release (version, version_key, auto_date, critical) VALUES (?,?,?,?)
            ON CONFLICT(version) DO UPDATE SET auto_date=excluded.auto_date, critical=excluded.critical
            """)
        // `45.2` and `45.2.0` are the same release: keep the spelling already stored.
        canonicalVersion = try db.makeStatement(sql: "SELECT version FROM release WHERE version_key = ?")
        clearBuilds = try db.makeStatement(sql: "DELETE FROM release_build WHERE version = ?")
        addBuild = try db.makeStatement(sql: "INSERT INTO release_build (version, platform, file, size, sha256) VALUES (?,?,?,?,?)")
    }

    mutating func partner(_ p: StateDocument.Partner) throws {
        try partnerStatement.execute(arguments: [
            p.id, p.name, p.locale.rawValue, p.releaseManagement, p.allowCustomerOverride,
            p.schedule?.cadence.rawValue, p.schedule?.deferralWeeks, p.upgradePolicy.rawValue,
            p.upgradeDelayDays, p.endUserDeferralDays, p.billingDay, p.schedule.map { _ in loadedAt },
        ])
        partnerIDs.append(p.id)
    }

    mutating func organisation(_ o: StateDocument.Organisation) throws {
        try organisationStatement.execute(arguments: [
            o.id, o.name, o.generation.rawValue, o.schedule?.cadence.rawValue, o.schedule?.deferralWeeks,
            o.schedule.map { _ in (o.scheduleOrigin ?? .partner).rawValue }, o.allowCustomerOverride,
            o.legacyDeferMonths, o.upgradeDelayDays, o.schedule.map { _ in loadedAt }, Self.jsonArray(Set(o.policyFeatures).sorted()),
        ])
        try clearPartners.execute(arguments: [o.id])
        for partner in Set(o.partners).sorted() { try addPartner.execute(arguments: [o.id, partner]) }
        organisationIDs.append(o.id)
    }

    mutating func user(_ u: StateDocument.User) throws {
        try userStatement.execute(arguments: [u.id, u.organisation, u.name, u.automaticUpgrades.rawValue])
    }

    mutating func endpoint(_ e: StateDocument.Endpoint) throws {
        try endpointStatement.execute(arguments: [
            e.id, e.organisation, e.user, e.platform.rawValue, e.osVersion, e.installedVersion.description,
            e.installedVersion.sortKey, e.agentGeneration.rawValue, e.agentVersion, e.lastCheckIn.map(Instant.seconds),
        ])
    }

    mutating func release(_ r: StateDocument.Release) throws {
        let version = try String.fetchOne(canonicalVersion, arguments: [r.version.sortKey]) ?? r.version.description
        try releaseStatement.execute(arguments: [version, r.version.sortKey, Instant.seconds(r.automaticDate), r.critical])
        try clearBuilds.execute(arguments: [version])
        for b in r.builds {
            try addBuild.execute(arguments: [version, b.platform.rawValue, b.file, b.size, b.sha256])
        }
    }

    /// The organisations whose effective schedule (CAD-3) the document may have moved.
    func touchedOrganisations() throws -> Set<String> {
        var ids = Set(organisationIDs)
        if !partnerIDs.isEmpty {
            ids.formUnion(try String.fetchAll(db, sql: """
                SELECT organisation_id FROM organisation_partner WHERE partner_id IN (\(ReleaseFacts.placeholders(partnerIDs.count)))
                """, arguments: StatementArguments(partnerIDs)))
        }
        return ids
    }

    /// A JSON array of strings, written without an encoder per organisation.
    static func jsonArray(_ strings: [String]) -> String {
        var text = "["
        for (index, string) in strings.enumerated() {
            if index > 0 { text += "," }
            text += "\""
            for scalar in string.unicodeScalars {
                switch scalar {
                case "\"": text += "\\\""
                case "\\": text += "\\\\"
                case "\n": text += "\\n"
                case "\r": text += "\\r"
                case "\t": text += "\\t"
                case _ where scalar.value < 0x20: text += String(format: "\\u%04x", scalar.value)
                default: text.unicodeScalars.append(scalar)
                }
            }
            text += "\""
        }
        return text + "]"
    }
}

/// What `apply` loaded: how many entities of each kind, for the CLI's summary.
public struct AppliedDocument: Sendable {
    public let counts: [String: Int]
}

extension Store {
    /// Validates and writes a state document held in memory, in one transaction; on any problem
    /// nothing is written. `at` is when the document is loaded: targets are recomputed by the
    /// first wake at or after it; without it, by the very next wake.
    @discardableResult
    public func apply(_ data: Data, at instant: Date? = nil) throws -> AppliedDocument {
        try apply(JSONStream(data: data), at: instant)
    }

    /// The same, streaming the document from an open file descriptor (a file or standard
    /// input): memory stays proportional to one element, whatever the document's size.
    @discardableResult
    public func apply(descriptor: Int32, at instant: Date? = nil) throws -> AppliedDocument {
        try apply(JSONStream(descriptor: descriptor), at: instant)
    }

    private func apply(_ stream: JSONStream, at instant: Date?) throws -> AppliedDocument {
        try write { db in
            var reader = DocumentReader()
            var writer = try DocumentWriter(db, loadedAt: Instant.seconds(instant ?? Date()))
            try reader.read(stream, existing: try KnownIDs.fetch(db), into: &writer)
            try ReleaseFacts.refreshEffectiveSchedules(db, ids: try writer.touchedOrganisations())
            try RetargetRequest.add(db, scope: "document", at: instant ?? Date(timeIntervalSince1970: 0))
            return AppliedDocument(counts: reader.counts)
        }
    }
}
