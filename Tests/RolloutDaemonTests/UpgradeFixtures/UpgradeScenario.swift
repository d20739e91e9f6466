import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// One upgrade-programme scenario: a real SQLite file in a fresh directory, the clock started at
/// `start`, a state document applied, and the daemon's loop (`Rules.all`, the default
/// configuration) run on a virtual clock up to the instants the test names. Requests are made
/// through the same store functions `rolloutctl` and the consoles call.
final class UpgradeScenario {
    let directory: TemporaryDirectory
    let store: Store
    let settings = LoopSettings(RolloutDaemon.Configuration())
    let recorder = EventRecorder()

    var context: RuleContext { settings.rules }
    var calendar: BusinessCalendar { settings.rules.calendar }

    init(start: String, _ document: UpgradeDocument) throws {
        directory = try TemporaryDirectory()
        store = try Store(path: directory.path("rolloutd.sqlite"))
        try store.startClock(at: at(start))
        try store.apply(try document.data(), at: at(start))
    }

    deinit { directory.remove() }

    // MARK: the loop

    /// Runs the daemon's loop until `until`. The virtual clock starts at the store's cursor (the
    /// loop never lags, so no wake is late) unless `clockAt` says otherwise (downtime: the daemon
    /// comes back at `clockAt`, as `rolloutctl run --resume-at` does).
    func run(until: String, clockAt: String? = nil) async throws {
        let start = try clockAt.map(at) ?? store.processedThrough() ?? at(until)
        try await makeLoop(store, rules: Rules.all, clockAt: start, recorder: recorder, settings: settings).run(until: at(until))
    }

    func cursor() throws -> Date? { try store.processedThrough() }

    // MARK: requests

    @discardableResult
    func programme(partner: String, announce: String, window: String, auto: String, at instant: String) throws -> Programme {
        try store.createProgramme(partner: partner, announceAt: at(announce), windowStartAt: at(window), autoUpgradeAt: at(auto),
                                  at: at(instant), calendar: calendar)
    }

    @discardableResult
    func requestUpgrade(partner: String, _ organisations: [String]?, at instant: String) throws -> [UpgradeOrderReceipt] {
        try store.requestUpgrade(partner: partner, organisations: organisations, at: at(instant), context: context)
    }

    @discardableResult
    func answer(_ organisation: String, processed: Bool, reason: String? = nil, at instant: String) throws -> Int64 {
        try store.recordOrderAnswer(organisation: organisation, processed: processed, reason: reason, at: at(instant))
    }

    @discardableResult
    func event(_ event: EndpointUpgradeEvent, _ endpoint: String, at instant: String) throws -> EndpointUpgradeState {
        try store.endpointEvent(event, endpoint: endpoint, at: at(instant), context: context)
    }

    /// Loads a document at `instant`, as `rolloutctl apply --at` does.
    func apply(_ document: UpgradeDocument, at instant: String) throws {
        try store.apply(try document.data(), at: at(instant))
    }

    // MARK: reading back, with SQL

    struct Notice: CustomStringConvertible {
        var key: String
        var kind: String
        var audience: String
        var partner: String?
        var organisation: String?
        var user: String?
        var endpoint: String?
        var locale: String
        var dueAt: Date
        var late: Bool
        var subject: String
        var body: String

        var description: String { "\(key) due \(iso(dueAt))\(late ? " late" : "")" }
    }

    /// Notifications of `kind` (all kinds when nil), optionally about one partner, organisation
    /// or endpoint, in the order they were written.
    func notices(_ kind: NotificationKind?, partner: String? = nil, organisation: String? = nil, endpoint: String? = nil) throws -> [Notice] {
        try store.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM notification WHERE (?1 IS NULL OR kind = ?1) AND (?2 IS NULL OR partner_id = ?2)
                  AND (?3 IS NULL OR organisation_id = ?3) AND (?4 IS NULL OR endpoint_id = ?4)
                ORDER BY id
                """, arguments: [kind?.rawValue, partner, organisation, endpoint]).map(Self.notice)
        }
    }

    static func notice(_ row: Row) -> Notice {
        Notice(key: row["idempotency_key"], kind: row["kind"], audience: row["audience"], partner: row["partner_id"],
               organisation: row["organisation_id"], user: row["user_id"], endpoint: row["endpoint_id"], locale: row["locale"],
               dueAt: Instant.date(row["due_at"]), late: row["late"], subject: row["subject"], body: row["body"])
    }

    /// The instants notifications of `kind` about a subject are due, oldest first.
    func dueInstants(_ kind: NotificationKind, partner: String? = nil, organisation: String? = nil, endpoint: String? = nil) throws -> [Date] {
        try notices(kind, partner: partner, organisation: organisation, endpoint: endpoint).map(\.dueAt).sorted()
    }

    struct EndpointRow {
        var state: String?
        var agentGeneration: String
        var upgradeAt: Date?
        var triggeredAt: Date?
        var deadline: Date?
        var nextReminder: Date?
        var failureReason: String?
    }

    func endpoint(_ id: String) throws -> EndpointRow {
        try store.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM endpoint WHERE id = ?", arguments: [id]) else {
                fatalError("no endpoint \(id) in the scenario")
            }
            func date(_ column: String) -> Date? { (row[column] as Int64?).map(Instant.date) }
            return EndpointRow(state: row["upgrade_state"], agentGeneration: row["agent_generation"], upgradeAt: date("upgrade_at"),
                               triggeredAt: date("triggered_at"), deadline: date("deferral_deadline"),
                               nextReminder: date("next_reminder_at"), failureReason: row["failure_reason"])
        }
    }

    struct OrganisationRow {
        var generation: String
        var upgradedAt: Date?
        var firstBillDue: Date?
    }

    func organisation(_ id: String) throws -> OrganisationRow {
        try store.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT generation, upgraded_at, first_bill_due_at FROM organisation WHERE id = ?",
                                       arguments: [id])!
            return OrganisationRow(generation: row[0], upgradedAt: (row[1] as Int64?).map(Instant.date),
                                   firstBillDue: (row[2] as Int64?).map(Instant.date))
        }
    }

    struct OrderRow {
        var id: Int64
        var state: String
        var automatic: Bool
        var orderedAt: Date
        var answeredAt: Date?
        var chasedAt: Date?
        var appliedAt: Date?
        var reason: String?
    }

    func orders(_ organisation: String) throws -> [OrderRow] {
        try store.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM upgrade_order WHERE organisation_id = ? ORDER BY id", arguments: [organisation]).map {
                OrderRow(id: $0["id"], state: $0["state"], automatic: $0["automatic"], orderedAt: Instant.date($0["ordered_at"]),
                         answeredAt: ($0["answered_at"] as Int64?).map(Instant.date), chasedAt: ($0["chased_at"] as Int64?).map(Instant.date),
                         appliedAt: ($0["applied_at"] as Int64?).map(Instant.date), reason: $0["reason"])
            }
        }
    }

    /// The stored readiness checklist: item → (passed, reason).
    func readinessItems(_ organisation: String) throws -> [String: (passed: Bool, reason: String)] {
        try store.read { db in
            try Row.fetchAll(db, sql: "SELECT item, passed, reason FROM readiness_item WHERE organisation_id = ?", arguments: [organisation])
                .reduce(into: [:]) { $0[$1["item"]] = ($1["passed"], $1["reason"]) }
        }
    }

    /// Decisions of `rule` about a subject: (wake instant, after), oldest first.
    func decisions(rule: String, subject: String) throws -> [(at: Date, after: String?)] {
        try store.read { db in
            try Row.fetchAll(db, sql: "SELECT wake_at, after FROM decision WHERE rule = ? AND subject_id = ? ORDER BY wake_at, id",
                             arguments: [rule, subject]).map { (Instant.date($0[0] as Int64), $0[1] as String?) }
        }
    }

    func count(_ sql: String, _ arguments: StatementArguments = StatementArguments()) throws -> Int {
        try store.read { db in try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
    }

    /// Every processed wake instant, oldest first.
    func wakeInstants() throws -> [Date] { try wakeRows(store).map(\.at) }

    /// The wake processed at `instant`, as the loop reported it.
    func summary(at instant: String) -> WakeSummary? {
        recorder.wakes.last { $0.at == at(instant) }
    }

    /// Every row of every table of the database, as text, table by table: the state a crashed
    /// wake must leave untouched (DMN-3).
    func dump() throws -> [String: [String]] {
        try store.read { db in
            var tables: [String: [String]] = [:]
            for table in try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") {
                tables[table] = try Row.fetchAll(db, sql: "SELECT * FROM \"\(table)\"").map(\.description).sorted()
            }
            return tables
        }
    }
}

/// The message of the `StoreError` that `body` throws; nil when it succeeds (any other error is
/// recorded as an issue).
func refusalMessage(_ body: () throws -> Any?) -> String? {
    do {
        _ = try body()
        return nil
    } catch let error as StoreError {
        return error.message
    } catch {
        Issue.record("expected a StoreError, got \(error)")
        return "\(error)"
    }
}
