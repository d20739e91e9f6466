import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore

/// One release-management scenario: a real SQLite file in a fresh directory, the clock started
/// at `start`, a state document applied, and the daemon's loop (`Rules.all`, the default
/// configuration) run on a virtual clock up to the instants the test names.
final class RMScenario {
    let directory: TemporaryDirectory
    let store: Store
    let settings: LoopSettings
    let recorder = EventRecorder()

    var context: RuleContext { settings.rules }

    init(start: String, _ document: ReleaseDocument, configuration: RolloutDaemon.Configuration = RolloutDaemon.Configuration()) throws {
        settings = LoopSettings(configuration)
        directory = try TemporaryDirectory()
        store = try Store(path: directory.path("rolloutd.sqlite"))
        try store.startClock(at: at(start))
        try store.apply(try document.data())
    }

    deinit { directory.remove() }

    /// Runs the daemon's loop until `until`. The virtual clock starts at the store's cursor
    /// (the loop never lags, so no wake is late) unless `clockAt` says otherwise.
    func run(until: String, clockAt: String? = nil) async throws {
        let start = try clockAt.map(at) ?? store.processedThrough() ?? at(until)
        try await makeLoop(store, rules: Rules.all, clockAt: start, recorder: recorder, settings: settings).run(until: at(until))
    }

    // MARK: requests, as a console or `rolloutctl` makes them

    @discardableResult
    func request(_ request: ScheduleEditRequest, partner: String, organisation: String? = nil,
                 as actor: Actor = .partner, at instant: String) throws -> ScheduleChangeReceipt {
        try store.requestScheduleChange(partner: partner, organisation: organisation, request: request, actor: actor,
                                        at: at(instant), context: context)
    }

    func explain(_ organisation: String, endpoint: String? = nil, user: String? = nil, at instant: String) throws -> Explanation {
        try store.explain(organisation: organisation, user: user, endpoint: endpoint, at: at(instant), context: context)
    }

    // MARK: reading back

    /// An endpoint's recorded target and when it was set.
    func target(_ endpoint: String) throws -> (version: String?, setAt: Date?) {
        try store.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT target_version, target_set_at FROM endpoint WHERE id = ?",
                                             arguments: [endpoint]) else {
                fatalError("no endpoint \(endpoint) in the scenario")
            }
            return (row["target_version"], (row["target_set_at"] as Int64?).map(Instant.date))
        }
    }

    func targetVersion(_ endpoint: String) throws -> String? { try target(endpoint).version }

    /// The organisation's stored effective schedule, as `cadence +Nw`.
    func effectiveSchedule(_ organisation: String) throws -> String {
        try store.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT effective_cadence, effective_defer_weeks FROM organisation WHERE id = ?",
                                       arguments: [organisation])!
            return "\(row[0] as String) +\(row[1] as Int)w"
        }
    }

    /// CAD-2 decisions recorded for an endpoint: (wake instant, new target), oldest first.
    func targetHistory(_ endpoint: String) throws -> [(at: Date, version: String?)] {
        try store.read { db in
            try Row.fetchAll(db, sql: """
                SELECT wake_at, after FROM decision WHERE rule = 'CAD-2' AND subject_kind = 'endpoint' AND subject_id = ?
                ORDER BY wake_at, id
                """, arguments: [endpoint]).map { (Instant.date($0[0] as Int64), $0[1] as String?) }
        }
    }

    func count(_ sql: String, _ arguments: StatementArguments = StatementArguments()) throws -> Int {
        try store.read { db in try Int.fetchOne(db, sql: sql, arguments: arguments) ?? 0 }
    }

    func scheduleChangeCount() throws -> Int { try count("SELECT count(*) FROM schedule_change") }

    /// `update_available` notifications, optionally of one endpoint: their versions, oldest first.
    func updateNotifications(endpoint: String) throws -> [String] {
        try store.read { db in
            try String.fetchAll(db, sql: """
                SELECT substr(idempotency_key, instr(idempotency_key, '|version:') + 9) FROM notification
                WHERE kind = 'update_available' AND endpoint_id = ? ORDER BY id
                """, arguments: [endpoint])
        }
    }

    func updateNotificationCount() throws -> Int {
        try count("SELECT count(*) FROM notification WHERE kind = 'update_available'")
    }

    struct ChangeRow: Equatable {
        var id: Int64
        var appliedAt: Date?
        var supersededAt: Date?
    }

    func scheduleChange(_ id: Int64) throws -> ChangeRow {
        try store.read { db in
            let row = try Row.fetchOne(db, sql: "SELECT id, applied_at, superseded_at FROM schedule_change WHERE id = ?",
                                       arguments: [id])!
            return ChangeRow(id: row[0], appliedAt: (row[1] as Int64?).map(Instant.date),
                             supersededAt: (row[2] as Int64?).map(Instant.date))
        }
    }

    /// The wake log: instant and reasons, oldest first.
    func wakes() throws -> [WakeRow] { try wakeRows(store) }

    func wake(at instant: String) throws -> WakeRow? { try wakes().first { $0.at == at(instant) } }
}

extension Explanation {
    var findings: [ScheduleReason.Finding] { reasons.map(\.finding) }

    func endpoint(_ id: String) -> EndpointTarget? { endpoints.first { $0.endpoint == id } }
}
