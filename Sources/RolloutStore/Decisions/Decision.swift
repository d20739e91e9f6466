public import Foundation
public import GRDB
public import RolloutCore

/// What a decision of the audit trail decided: one case per kind, each owned by one SPEC rule.
/// Stored in `decision.kind`; rows written before kinds existed have none.
public enum DecisionKind: String, CaseIterable, Codable, Sendable, DatabaseValueConvertible {
    /// CAD-2 (with CAD-6, CAD-7): an endpoint's target version changed.
    case targetVersion = "target_version"
    /// CAD-3: an organisation's effective schedule moved.
    case effectiveSchedule = "effective_schedule"
    /// CAD-8: a schedule or toggle change was applied.
    case changeApplied = "change_applied"
    /// CAD-10: a legacy deferral in months was rewritten as a cadence.
    case legacyMigrated = "legacy_migrated"
    /// An endpoint reported the version it runs (a fact, recorded for the trail).
    case installedReported = "installed_reported"
    /// UPG-2: a programme was announced.
    case programmeAnnounced = "programme_announced"
    /// UPG-3: a programme's upgrade window opened.
    case windowOpened = "window_opened"
    /// UPG-3: an organisation's readiness verdict changed.
    case readiness
    /// UPG-4: the partner ordered an organisation's upgrade.
    case orderPlaced = "order_placed"
    /// UPG-7: the daemon ordered it at the automatic-upgrade date.
    case orderPlacedAutomatically = "order_placed_automatically"
    /// UPG-4: an order unanswered at its deadline; the partner was told.
    case orderChased = "order_chased"
    /// UPG-4: the distributor answered `failed`.
    case orderFailed = "order_failed"
    /// UPG-5: the distributor answered `processed`; the organisation is cloud.
    case orderProcessed = "order_processed"
    /// UPG-7: an organisation not ready at the automatic-upgrade date was held.
    case upgradeHeld = "upgrade_held"
    /// UPG-6: an endpoint's agent upgrade moved to another state.
    case endpointUpgrade = "endpoint_upgrade"
    /// UPG-9: the partner's final legacy declaration.
    case finalDeclaration = "final_declaration"
    /// OPS-1: release management or the programme of a partner or organisation was paused.
    case paused
    /// OPS-1: a pause ended.
    case resumed
    /// OPS-3: a partner's programme paused itself, its failure threshold exceeded.
    case failureThreshold = "failure_threshold"

    /// Reads a stored kind (NULL on rows older than kinds); an unknown one names its row.
    package static func stored(_ text: String?, row id: Int64) throws -> DecisionKind? {
        guard let text else { return nil }
        guard let kind = DecisionKind(rawValue: text) else {
            throw StoreError(code: .corrupt, message: "decision row \(id): unknown kind '\(text)' (written by a newer rolloutd?)")
        }
        return kind
    }

    /// The SPEC rule that decides this kind (`report` for a device's report).
    public var rule: String {
        switch self {
        case .targetVersion: "CAD-2"
        case .effectiveSchedule: "CAD-3"
        case .changeApplied: "CAD-8"
        case .legacyMigrated: "CAD-10"
        case .installedReported: "report"
        case .programmeAnnounced: "UPG-2"
        case .windowOpened, .readiness: "UPG-3"
        case .orderPlaced, .orderChased, .orderFailed: "UPG-4"
        case .orderProcessed: "UPG-5"
        case .endpointUpgrade: "UPG-6"
        case .orderPlacedAutomatically, .upgradeHeld: "UPG-7"
        case .finalDeclaration: "UPG-9"
        case .paused, .resumed: "OPS-1"
        case .failureThreshold: "OPS-3"
        }
    }
}

/// A decision's before or after, as values (stored as JSON in `decision.before_value` and
/// `after_value`, shown by `history --json`). Only the fields of the decision's kind are set:
/// a schedule is `{cadence, deferral_weeks}`, a target `{version}`, an endpoint's upgrade
/// `{upgrade_state, event}`, and so on.
public struct DecisionValue: Codable, Equatable, Sendable {
    /// A target version (CAD-2; absent for an endpoint not targeted) or a reported installed version.
    public var version: String?
    public var cadence: Cadence?
    public var deferralWeeks: Int?
    /// CAD-10: the legacy setting before its migration.
    public var legacyDeferralMonths: Int?
    /// CAD-8: `schedule`, `reset` or `override`.
    public var change: String?
    public var allowCustomerOverride: Bool?
    public var upgradeState: EndpointUpgradeState?
    /// UPG-6: the event that moved the endpoint (`user_defer`, …); absent when time moved it.
    public var event: String?
    public var ready: Bool?
    public var failingItems: [String]?
    public var order: Int64?
    /// `ordered`, `processed` or `failed`.
    public var orderState: String?
    /// `legacy` or `cloud`.
    public var generation: String?
    /// UPG-5: the organisation's endpoints given an automatic-upgrade time, and that time.
    public var endpoints: Int?
    public var upgradeAt: Date?
    public var reason: String?
    /// UPG-2, UPG-3: `announced`, `window_open`.
    public var programme: String?
    /// UPG-9: `final`.
    public var declaration: String?
    public var legacyCustomers: Int?
    /// OPS-1: the area a pause holds (`releases`, `programme`) and who paused or resumed it.
    public var area: String?
    public var actor: String?

    public init(version: String? = nil, cadence: Cadence? = nil, deferralWeeks: Int? = nil, legacyDeferralMonths: Int? = nil,
                change: String? = nil, allowCustomerOverride: Bool? = nil, upgradeState: EndpointUpgradeState? = nil,
                event: String? = nil, ready: Bool? = nil, failingItems: [String]? = nil, order: Int64? = nil,
                orderState: String? = nil, generation: String? = nil, endpoints: Int? = nil, upgradeAt: Date? = nil,
                reason: String? = nil, programme: String? = nil, declaration: String? = nil, legacyCustomers: Int? = nil,
                area: String? = nil, actor: String? = nil) {
        self.version = version
        self.cadence = cadence
        self.deferralWeeks = deferralWeeks
        self.legacyDeferralMonths = legacyDeferralMonths
        self.change = change
        self.allowCustomerOverride = allowCustomerOverride
        self.upgradeState = upgradeState
        self.event = event
        self.ready = ready
        self.failingItems = failingItems
        self.order = order
        self.orderState = orderState
        self.generation = generation
        self.endpoints = endpoints
        self.upgradeAt = upgradeAt
        self.reason = reason
        self.programme = programme
        self.declaration = declaration
        self.legacyCustomers = legacyCustomers
        self.area = area
        self.actor = actor
    }

    /// A schedule: `{cadence, deferral_weeks}`.
    public static func schedule(_ schedule: Schedule) -> DecisionValue {
        DecisionValue(cadence: schedule.cadence, deferralWeeks: schedule.deferralWeeks)
    }

    enum CodingKeys: String, CodingKey {
        case version, cadence, change, event, ready, order, generation, endpoints, reason, programme, declaration, area, actor
        case deferralWeeks = "deferral_weeks"
        case legacyDeferralMonths = "legacy_deferral_months"
        case allowCustomerOverride = "allow_customer_override"
        case upgradeState = "upgrade_state"
        case failingItems = "failing_items"
        case orderState = "order_state"
        case upgradeAt = "upgrade_at"
        case legacyCustomers = "legacy_customers"
    }

    /// The JSON stored in the decision table: sorted keys, instants as `Instant.format` text.
    package var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(Instant.format(date))
        }
        // Every field is a string, number, bool, list of strings or instant: encoding cannot fail.
        return String(decoding: try! encoder.encode(self), as: UTF8.self)
    }

    /// Reads a stored value; a value that is not one says which decision row it came from.
    package static func stored(_ json: String?, row id: Int64) throws -> DecisionValue? {
        guard let json else { return nil }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let text = try decoder.singleValueContainer().decode(String.self)
            guard let date = Instant.parse(text) else {
                throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad instant \(text)"))
            }
            return date
        }
        do {
            return try decoder.decode(DecisionValue.self, from: Data(json.utf8))
        } catch {
            throw StoreError(code: .corrupt, message: "decision row \(id): its stored value \(json) is not a decision value (\(error)); check the row with `sqlite3 … 'SELECT * FROM decision WHERE id = \(id)'`")
        }
    }
}

/// One decision for the audit trail: typed (`kind`, `beforeValue`, `afterValue`) and, for
/// readers of the text columns, the same before/after in words.
public struct Decision: Sendable {
    public var at: Date
    public var kind: DecisionKind
    /// `endpoint`, `organisation` or `partner`.
    public var subjectKind: String
    public var subjectID: String
    public var partner: String?
    public var organisation: String?
    public var before: String?
    public var after: String?
    public var beforeValue: DecisionValue?
    public var afterValue: DecisionValue?

    public init(at: Date, kind: DecisionKind, subjectKind: String, subjectID: String, partner: String? = nil,
                organisation: String? = nil, before: String?, after: String?, beforeValue: DecisionValue?, afterValue: DecisionValue?) {
        self.at = at
        self.kind = kind
        self.subjectKind = subjectKind
        self.subjectID = subjectID
        self.partner = partner
        self.organisation = organisation
        self.before = before
        self.after = after
        self.beforeValue = beforeValue
        self.afterValue = afterValue
    }
}

/// The one writer of the `decision` table: one decision, or one per row of a SELECT for a fleet.
package enum DecisionLog {
    package static func record(_ db: Database, _ decision: Decision) throws {
        try db.execute(sql: """
            INSERT INTO decision (wake_at, rule, kind, subject_kind, subject_id, partner_id, organisation_id, before, after,
                                  before_value, after_value)
            VALUES (?,?,?,?,?,?,?,?,?,?,?)
            """, arguments: [Instant.seconds(decision.at), decision.kind.rule, decision.kind, decision.subjectKind, decision.subjectID,
                             decision.partner, decision.organisation, decision.before, decision.after,
                             decision.beforeValue?.json, decision.afterValue?.json])
    }

    /// One decision of `kind` per row of `source`, a SELECT with the columns `subject_id`,
    /// `partner_id`, `organisation_id`, `before`, `after` (text) and `before_value`,
    /// `after_value` (JSON, e.g. `json_object('version', …)`), whose parameters are plain `?`
    /// (they follow this statement's own). Returns how many were written.
    @discardableResult
    package static func recordAll(_ db: Database, kind: DecisionKind, subjectKind: String, at instant: Date,
                                  source: String, arguments: StatementArguments = []) throws -> Int {
        try db.execute(sql: """
            INSERT INTO decision (wake_at, rule, kind, subject_kind, subject_id, partner_id, organisation_id, before, after,
                                  before_value, after_value)
            SELECT ?, ?, ?, ?, src.subject_id, src.partner_id, src.organisation_id, src.before, src.after,
                   src.before_value, src.after_value
            FROM (\(source)) AS src
            """, arguments: [Instant.seconds(instant), kind.rule, kind, subjectKind] + arguments)
        return db.changesCount
    }
}
