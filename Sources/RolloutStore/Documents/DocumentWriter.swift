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
        for row in try Row.fetchAll(db, sql: """
            SELECT o.id, o.generation, o.upgraded_at, (SELECT max(ordered_at) FROM upgrade_order WHERE organisation_id = o.id) AS ordered_at
            FROM organisation o
            WHERE o.upgraded_at IS NOT NULL OR EXISTS (SELECT 1 FROM upgrade_order WHERE organisation_id = o.id)
            """) {
            let why = if let upgraded = row["upgraded_at"] as Int64? {
                "upgraded at \(Instant.format(Instant.date(upgraded)))"
            } else {
                "ordered at \(Instant.format(Instant.date(row["ordered_at"])))"
            }
            ids.decidedGenerations[row["id"]] = (row["generation"], why)
        }
        return ids
    }
}

/// `column = iif(?, excluded.column, column)` for each column: the upsert writes a column only
/// when the object gave the field (its flag argument is true), and keeps the stored value else.
private func keepUnlessGiven(_ columns: [String]) -> String {
    columns.map { "\($0) = iif(?, excluded.\($0), \($0))" }.joined(separator: ", ")
}

/// Upserts each entity by id as the reader hands it over (DMN-9): a field an object gives is
/// written, a field it leaves out keeps its stored value (a new entity gets the default). What
/// the daemon owns (targets, lifecycle, migration times, orders, an upgraded organisation's
/// generation) is never touched by a document.
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
            ON CONFLICT(id) DO UPDATE SET
                schedule_set_at = CASE WHEN NOT ? OR (cadence IS excluded.cadence AND defer_weeks IS excluded.defer_weeks)
                                       THEN schedule_set_at ELSE excluded.schedule_set_at END,
                cadence = iif(?, excluded.cadence, cadence), defer_weeks = iif(?, excluded.defer_weeks, defer_weeks),
                \(keepUnlessGiven(Self.partnerFields))
            """)
        organisationStatement = try db.makeStatement(sql: """
            INSERT INTO organisation (id, name, generation, cadence, defer_weeks, schedule_origin, allow_customer_override,
                                      legacy_defer_months, upgrade_delay_days, schedule_set_at, policy_features)
            VALUES (?,?,?,?,?,?,?,?,?,?,?)
            ON CONFLICT(id) DO UPDATE SET
                schedule_set_at = CASE WHEN NOT ? OR (cadence IS excluded.cadence AND defer_weeks IS excluded.defer_weeks
                                       AND schedule_origin IS excluded.schedule_origin) THEN schedule_set_at
                                       ELSE excluded.schedule_set_at END,
                cadence = iif(?, excluded.cadence, cadence), defer_weeks = iif(?, excluded.defer_weeks, defer_weeks),
                schedule_origin = iif(?, excluded.schedule_origin, schedule_origin),
                \(keepUnlessGiven(Self.organisationFields))
            """)
        clearPartners = try db.makeStatement(sql: "DELETE FROM organisation_partner WHERE organisation_id = ?")
        addPartner = try db.makeStatement(sql: "INSERT INTO organisation_partner (organisation_id, partner_id) VALUES (?, ?)")
        userStatement = try db.makeStatement(sql: """
            INSERT INTO user (id, organisation_id, name, automatic_upgrades) VALUES (?,?,?,?)
            ON CONFLICT(id) DO UPDATE SET organisation_id=excluded.organisation_id,
                \(keepUnlessGiven(["name", "automatic_upgrades"]))
            """)
        endpointStatement = try db.makeStatement(sql: """
            INSERT INTO endpoint (id, organisation_id, user_id, platform, os_version, installed_version, installed_version_key,
                                  agent_generation, agent_version, last_check_in)
            VALUES (?,?,?,?,?,?,?,?,?,?)
            ON CONFLICT(id) DO UPDATE SET organisation_id=excluded.organisation_id, platform=excluded.platform,
                installed_version=excluded.installed_version, installed_version_key=excluded.installed_version_key,
                user_id = iif(?, excluded.user_id, user_id),
                \(keepUnlessGiven(["os_version", "agent_generation", "agent_version", "last_check_in"]))
            """)
        releaseStatement = try db.makeStatement(sql: """
            INSERT INTO release (version, version_key, auto_date, critical) VALUES (?,?,?,?)
            ON CONFLICT(version) DO UPDATE SET auto_date=excluded.auto_date, critical = iif(?, excluded.critical, critical)
            """)
        // `45.2` and `45.2.0` are the same release: keep the spelling already stored.
        canonicalVersion = try db.makeStatement(sql: "SELECT version FROM release WHERE version_key = ?")
        clearBuilds = try db.makeStatement(sql: "DELETE FROM release_build WHERE version = ?")
        addBuild = try db.makeStatement(sql: "INSERT INTO release_build (version, platform, file, size, sha256) VALUES (?,?,?,?,?)")
    }

    /// The optional fields of partners and organisations an upsert writes only when given.
    private static let partnerFields = ["name", "locale", "release_management", "allow_customer_override", "upgrade_policy",
                                        "upgrade_delay_days", "end_user_deferral_days", "billing_day"]
    private static let organisationFields = ["name", "generation", "allow_customer_override", "legacy_defer_months",
                                             "upgrade_delay_days", "policy_features"]

    mutating func partner(_ p: StateDocument.Partner) throws {
        let schedule = p.given.contains("schedule")
        try partnerStatement.execute(arguments: StatementArguments([
            p.id, p.name, p.locale.rawValue, p.releaseManagement, p.allowCustomerOverride,
            p.schedule?.cadence.rawValue, p.schedule?.deferralWeeks, p.upgradePolicy.rawValue,
            p.upgradeDelayDays, p.endUserDeferralDays, p.billingDay, p.schedule.map { _ in loadedAt },
            schedule, schedule, schedule,
        ] as [(any DatabaseValueConvertible)?]) + StatementArguments(Self.partnerFields.map(p.given.contains)))
        partnerIDs.append(p.id)
        if p.failureThresholdPercent != nil || p.failureThresholdMinimum != nil {
            try db.execute(sql: """
                UPDATE partner SET failure_threshold_percent = coalesce(?, failure_threshold_percent),
                                   failure_threshold_minimum = coalesce(?, failure_threshold_minimum) WHERE id = ?
                """, arguments: [p.failureThresholdPercent, p.failureThresholdMinimum, p.id])
        }
        if let distributors = p.distributors {
            try db.execute(sql: "DELETE FROM partner_distributor WHERE partner_id = ?", arguments: [p.id])
            for distributor in Set(distributors) {
                try db.execute(sql: "INSERT INTO partner_distributor (partner_id, distributor_id) VALUES (?, ?)",
                               arguments: [p.id, distributor])
            }
        }
    }

    mutating func organisation(_ o: StateDocument.Organisation) throws {
        let schedule = o.given.contains("schedule")
        try organisationStatement.execute(arguments: StatementArguments([
            o.id, o.name, o.generation.rawValue, o.schedule?.cadence.rawValue, o.schedule?.deferralWeeks,
            o.schedule.map { _ in (o.scheduleOrigin ?? .partner).rawValue }, o.allowCustomerOverride,
            o.legacyDeferMonths, o.upgradeDelayDays, o.schedule.map { _ in loadedAt }, Self.jsonArray(Set(o.policyFeatures).sorted()),
            schedule, schedule, schedule, schedule,
        ] as [(any DatabaseValueConvertible)?]) + StatementArguments(Self.organisationFields.map(o.given.contains)))
        organisationIDs.append(o.id)
        guard o.given.contains("partners") else { return }
        try clearPartners.execute(arguments: [o.id])
        for partner in Set(o.partners).sorted() { try addPartner.execute(arguments: [o.id, partner]) }
    }

    mutating func user(_ u: StateDocument.User) throws {
        try userStatement.execute(arguments: [u.id, u.organisation, u.name, u.automaticUpgrades.rawValue,
                                              u.given.contains("name"), u.given.contains("automatic_upgrades")])
    }

    mutating func endpoint(_ e: StateDocument.Endpoint) throws {
        try endpointStatement.execute(arguments: StatementArguments([
            e.id, e.organisation, e.user, e.platform.rawValue, e.osVersion, e.installedVersion.description,
            e.installedVersion.sortKey, e.agentGeneration.rawValue, e.agentVersion, e.lastCheckIn.map(Instant.seconds),
        ] as [(any DatabaseValueConvertible)?]) + StatementArguments(["user", "os_version", "agent_generation", "agent_version",
                                                                     "last_check_in"].map(e.given.contains)))
    }

    mutating func release(_ r: StateDocument.Release) throws {
        let version = try String.fetchOne(canonicalVersion, arguments: [r.version.sortKey]) ?? r.version.description
        try releaseStatement.execute(arguments: [version, r.version.sortKey, Instant.seconds(r.automaticDate), r.critical,
                                                 r.given.contains("critical")])
        guard r.given.contains("builds") else { return }
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
        do {
            return try write { db in
            var reader = DocumentReader(existing: try KnownIDs.fetch(db))
            var writer = try DocumentWriter(db, loadedAt: Instant.seconds(instant ?? Date()))
            try reader.read(stream, into: &writer)
            try ReleaseFacts.refreshEffectiveSchedules(db, ids: try writer.touchedOrganisations())
            try RetargetRequest.add(db, scope: "document", at: instant ?? Date(timeIntervalSince1970: 0))
            return AppliedDocument(counts: reader.counts)
            }
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_FOREIGNKEY {
            // The reference checks should have caught it (foreign keys are checked at commit);
            // still a document error, never a raw one.
            throw DocumentRejected(problems: [DocumentProblem(path: "$", message: "refers to an id the store does not hold")])
        }
    }
}
