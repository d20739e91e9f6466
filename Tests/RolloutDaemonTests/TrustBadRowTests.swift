import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Synchronization
import Testing

/// Issue #9 finding 6 (DMN-7): a row written by another process that breaks a rule is skipped
/// and reported — once in the journal (the wake's skipped subjects), in `status` and in
/// `rolloutctl skipped` — every other subject proceeds, and no such row becomes a wake loop.
@Suite struct TrustBadRowTests {
    /// One kind of bad row: what it is called, the row it names, whether it belongs to the
    /// endpoint `acme-pc1` only (then `acme-pc2` must proceed too), and the SQL that writes it.
    struct BadRow: CustomTestStringConvertible, Sendable {
        let kind: String
        let row: String
        let endpointLevel: Bool
        let sql: String
        var testDescription: String { kind }
    }

    static let d = Instant.seconds(at("2026-09-15T17:00:00Z"))
    static let kinds: [BadRow] = [
        BadRow(kind: "schedule_change_invalid", row: "schedule_change:1", endpointLevel: false, sql: """
            INSERT INTO schedule_change (id, partner_id, organisation_id, actor, kind, requested_at, apply_by)
            VALUES (1, 'pz', 'acme', 'partner', 'bogus', \(d - 1_800), \(d))
            """),
        BadRow(kind: "schedule_change_invalid", row: "schedule_change:2", endpointLevel: false, sql: """
            INSERT INTO schedule_change (id, partner_id, organisation_id, actor, kind, cadence, defer_weeks, requested_at, apply_by)
            VALUES (2, 'pz', 'acme', 'nobody', 'schedule', 'slow', 99, \(d - 1_800), \(d))
            """),
        BadRow(kind: "reminder_not_deferred", row: "endpoint:acme-pc1", endpointLevel: true,
               sql: "UPDATE endpoint SET upgrade_state = 'installing', upgrade_at = NULL, next_reminder_at = \(d) WHERE id = 'acme-pc1'"),
        BadRow(kind: "deferral_deadline_missing", row: "endpoint:acme-pc1", endpointLevel: true,
               sql: "UPDATE endpoint SET upgrade_state = 'notified', upgrade_at = NULL, deferral_deadline = NULL WHERE id = 'acme-pc1'"),
        BadRow(kind: "installed_version_invalid", row: "endpoint:acme-pc1", endpointLevel: true,
               sql: "UPDATE endpoint SET installed_version = 'garbage' WHERE id = 'acme-pc1'"),
        BadRow(kind: "upgrade_state_unknown", row: "endpoint:acme-pc1", endpointLevel: true,
               sql: "UPDATE endpoint SET upgrade_state = 'bogus' WHERE id = 'acme-pc1'"),
        BadRow(kind: "platform_unknown", row: "endpoint:acme-pc1", endpointLevel: true,
               sql: "UPDATE endpoint SET platform = 'beos' WHERE id = 'acme-pc1'"),
        BadRow(kind: "order_state_unknown", row: "upgrade_order:1", endpointLevel: false,
               sql: "UPDATE upgrade_order SET state = 'bogus' WHERE organisation_id = 'acme'"),
        BadRow(kind: "order_answer_inconsistent", row: "upgrade_order:1", endpointLevel: false,
               sql: "UPDATE upgrade_order SET state = 'ordered' WHERE organisation_id = 'acme'"),
        BadRow(kind: "programme_instants_out_of_order", row: "programme:pz", endpointLevel: false,
               sql: "UPDATE programme SET announce_at = auto_upgrade_at + 86400 WHERE partner_id = 'pz'"),
        BadRow(kind: "billing_day_out_of_range", row: "partner:pz", endpointLevel: false,
               sql: "UPDATE partner SET billing_day = 31 WHERE id = 'pz'"),
        BadRow(kind: "deferral_limit_out_of_range", row: "partner:pz", endpointLevel: false,
               sql: "UPDATE partner SET end_user_deferral_days = 99 WHERE id = 'pz'"),
        BadRow(kind: "generation_unknown", row: "organisation:acme", endpointLevel: false,
               sql: "UPDATE organisation SET generation = 'bogus' WHERE id = 'acme'"),
        BadRow(kind: "policy_features_invalid", row: "organisation:acme", endpointLevel: false,
               sql: "UPDATE organisation SET policy_features = 'not json' WHERE id = 'acme'"),
        BadRow(kind: "sha256_invalid", row: "release_build:99.0.0/windows", endpointLevel: false, sql: """
            INSERT INTO release (version, version_key, auto_date) VALUES ('99.0.0', 'zz-99', 1700000000);
            INSERT INTO release_build (version, platform, file, size, sha256) VALUES ('99.0.0', 'windows', 'w.msi', 1, '０１２３');
            """),
    ]

    /// Two partners with programmes, `acme` (pz) and `beta` (qz) both processed on Monday
    /// 14 September, so their endpoints are triggered at Thursday's boundary (delay 2 days).
    static func world() async throws -> UpgradeScenario {
        var d = UpgradeDocument()
        d.partner("pz", name: "Pause MSP", delayDays: 2, billingDay: 20)
        d.partner("qz", name: "Other MSP", delayDays: 2, billingDay: 20)
        d.organisation("acme", partners: ["pz"])
        d.organisation("beta", partners: ["qz"])
        for endpoint in ["acme-pc1", "acme-pc2"] { d.endpoint(endpoint, organisation: "acme") }
        d.endpoint("beta-pc1", organisation: "beta")
        let s = try UpgradeScenario(start: "2026-09-14T00:00:00Z", d)
        for partner in ["pz", "qz"] {
            try s.programme(partner: partner, announce: "2026-09-14T15:00:00Z", window: "2026-09-14T15:00:00Z",
                            auto: "2026-10-01T15:00:00Z", at: "2026-09-14T00:00:00Z")
        }
        try await s.run(until: "2026-09-14T16:00:00Z")
        try s.requestUpgrade(partner: "pz", ["acme"], at: "2026-09-14T16:00:00Z")
        try s.requestUpgrade(partner: "qz", ["beta"], at: "2026-09-14T16:00:00Z")
        try await s.run(until: "2026-09-14T17:00:00Z")
        try s.answer("acme", processed: true, at: "2026-09-14T17:00:00Z")
        try s.answer("beta", processed: true, at: "2026-09-14T17:00:00Z")
        try await s.run(until: "2026-09-15T16:00:00Z")
        return s
    }

    /// Writes `sql` with another connection, as an SQL session or another program would,
    /// with the CHECK constraints off (the schema refuses most of these rows otherwise).
    static func write(_ sql: String, into path: String) throws {
        let other = try DatabaseQueue(path: path)
        try other.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA ignore_check_constraints = ON")
            try db.execute(sql: sql)
        }
    }

    /// Runs the scenario's loop, cancelled after 200 wakes: a wake loop fails the test instead of
    /// running for hours (a loop steps one second at a time).
    static func runBounded(_ s: UpgradeScenario, until: String) async throws {
        let wakes = Mutex(0)
        let start = try #require(try s.store.processedThrough())
        let task = Mutex<Task<Void, any Error>?>(nil)
        let settings = s.settings, recorder = s.recorder
        let loop = WakeLoop(store: s.store, rules: Rules.all, clock: VirtualClock(startingAt: start), settings: { settings }) { event in
            recorder.record(event)
            guard case .wake = event else { return }
            let count = wakes.withLock { $0 += 1; return $0 }
            if count > 200 { task.withLock { $0?.cancel() } }
        }
        let running = Task { try await loop.run(until: at(until)) }
        task.withLock { $0 = running }
        do {
            try await running.value
        } catch is CancellationError {
            Issue.record("more than 200 wakes: a wake loop, last \(try wakeRows(s.store).suffix(3).map(\.reasons))")
        }
    }

    @Test("finding 6: each kind of bad row is skipped and reported once; every other subject proceeds; no wake loop",
          arguments: kinds)
    func badRowIsSkipped(_ bad: BadRow) async throws {
        let s = try await Self.world()
        try Self.write(bad.sql, into: s.directory.path("rolloutd.sqlite"))
        let before = try wakeCount(s.store)
        try await Self.runBounded(s, until: "2026-09-18T16:00:00Z")

        // Three boundaries and a few deadlines; a loop would be thousands of wakes.
        let wakes = try wakeCount(s.store) - before
        let last = try wakeRows(s.store).suffix(5).map(\.reasons)
        #expect(wakes <= 12, "\(wakes) wakes in three days: \(last)")
        let skipped = try s.store.skippedRows()
        #expect(skipped.contains { $0.kind == bad.kind && "\($0.table):\($0.row)" == bad.row }, "\(skipped)")
        let reports = s.recorder.wakes.flatMap(\.skipped).filter { $0.subject == bad.row }
        #expect(reports.count == 1, "reported \(reports.count) times: \(reports)")
        #expect(try s.endpoint("beta-pc1").state == "notified", "another partner's endpoint did not proceed")
        if bad.endpointLevel {
            #expect(try s.endpoint("acme-pc2").state == "notified", "the bad endpoint's neighbour did not proceed")
        }
    }

    @Test("finding 6: status and `rolloutctl skipped` list the bad row; once repaired it is forgotten")
    func listedAndForgotten() async throws {
        let s = try await Self.world()
        let path = s.directory.path("rolloutd.sqlite")
        try Self.write("UPDATE endpoint SET next_reminder_at = \(Self.d) WHERE id = 'acme-pc1'", into: path)
        try await s.run(until: "2026-09-16T16:00:00Z")
        let config = try s.directory.write("rolloutd.toml", "[store]\npath = \"\(path)\"\n")
        let listing = try runProcess(CLITests.rolloutctl, ["skipped", "--config", config], in: s.directory)
        #expect(listing.status == 0, "\(listing)")
        #expect(listing.stdout.contains("endpoint:acme-pc1 [UPG-6] a reminder is set but the endpoint is not deferred (reminder_not_deferred)"),
                "\(listing)")
        let json = try runProcess(CLITests.rolloutctl, ["skipped", "--config", config, "--json"], in: s.directory)
        let rows = try #require(try CLITests.decode(json.stdout) as? [[String: Any]])
        #expect(rows.first?["kind"] as? String == "reminder_not_deferred" && rows.first?["first_seen_at"] is String, "\(rows)")
        let status = try runProcess(CLITests.rolloutctl, ["status", "--config", config, "--tolerance", "999999999"], in: s.directory)
        #expect(status.stdout.contains("SKIPPED: 1 row(s) break a rule"), "\(status)")

        try Self.write("UPDATE endpoint SET next_reminder_at = NULL WHERE id = 'acme-pc1'", into: path)
        try await s.run(until: "2026-09-17T16:00:00Z")
        #expect(try s.store.skippedRows().isEmpty)
    }
}
