import Foundation
import GRDB
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// DMN-8 and DMN-9 with the real executables: the daemon's heartbeat tells `status` whether it
/// runs, and `run` never decides ahead of the wall clock on a database a daemon serves.
@Suite struct TrustLiveDatabaseTests {
    typealias Workspace = CLITests.Workspace

    static func json(_ result: ProcessResult) throws -> [String: Any] {
        try #require(try CLITests.decode(result.stdout) as? [String: Any], "\(result)")
    }

    static func daemonState(_ workspace: Workspace) throws -> String? {
        let status = try workspace.ctl("status", "--json")
        return (try? json(status))?["daemon"].flatMap { ($0 as? [String: Any])?["state"] as? String }
    }

    /// Starts the daemon (poll 1 s) and waits until `status` reports it running.
    static func startDaemon(_ workspace: Workspace) throws -> BackgroundDaemon {
        let daemon = try BackgroundDaemon(config: workspace.config, in: workspace.directory)
        let running = try BackgroundDaemon.eventually { try daemonState(workspace) == "running" }
        try #require(running, "the daemon never reported running: \(daemon.output)")
        return daemon
    }

    static func cursor(_ database: String) throws -> Date? {
        try Store(path: database, readOnly: true).processedThrough()
    }

    @Test("finding 3: after `systemctl stop`, status says the daemon is not running (stopped at …) and exits 3")
    func statusAfterCleanStop() throws {
        let workspace = try Workspace(extra: "[daemon]\npoll_interval_seconds = 1")
        defer { workspace.directory.remove() }
        let daemon = try Self.startDaemon(workspace)
        let running = try workspace.ctl("status")
        #expect(running.status == 0, "\(running)")
        #expect(running.stdout.contains("daemon: running (pid \(daemon.process.processIdentifier)"), "\(running)")
        #expect(daemon.stop() == 0, "\(daemon.output)")

        let stopped = try workspace.ctl("status")
        #expect(stopped.status == 3, "\(stopped)")
        #expect(stopped.stdout.contains("daemon: NOT RUNNING: stopped at "), "\(stopped)")
        #expect(!stopped.stdout.contains("on schedule"), "\(stopped)")
        let report = try Self.json(try workspace.ctl("status", "--json"))
        let liveness = try #require(report["daemon"] as? [String: Any])
        #expect(liveness["state"] as? String == "stopped")
        #expect(liveness["pid"] as? Int == Int(daemon.process.processIdentifier))
        #expect(liveness["stopped_at"] is String && liveness["last_seen"] is String && liveness["poll_seconds"] as? Int == 1)
        #expect(report["behind"] as? Bool == true)
    }

    @Test("finding 3: a daemon killed without a word is 'not running' within two poll intervals")
    func statusAfterKill() throws {
        let workspace = try Workspace(extra: "[daemon]\npoll_interval_seconds = 1")
        defer { workspace.directory.remove() }
        let daemon = try Self.startDaemon(workspace)
        daemon.kill()
        // Two poll intervals (2 s), then the next whole second of the heartbeat's resolution.
        let down = try BackgroundDaemon.eventually(5) { try workspace.ctl("status").status == 3 }
        #expect(down)
        let status = try workspace.ctl("status")
        #expect(status.stdout.contains("NOT RUNNING: no heartbeat for more than two poll intervals of 1 s"), "\(status)")
        #expect(try Self.daemonState(workspace) == "not_responding")
    }

    @Test("finding 1: run --until ahead of the wall clock is refused on a database a daemon serves, running or stopped")
    func runRefusedOnServedDatabase() throws {
        let workspace = try Workspace(extra: "[daemon]\npoll_interval_seconds = 1")
        defer { workspace.directory.remove() }
        let document = try workspace.document("state.json", #"{"partners": [{"id": "p1"}]}"#)
        #expect(try workspace.ctl("apply", document).status == 0)
        let daemon = try Self.startDaemon(workspace)
        let ahead = Instant.format(Date().addingTimeInterval(9 * 86_400))
        let before = try Self.cursor(workspace.database)

        let whileRunning = try workspace.ctl("run", "--until", ahead)
        #expect(whileRunning.status == 1, "\(whileRunning)")
        #expect(whileRunning.stderr.contains("served by rolloutd (pid \(daemon.process.processIdentifier)"), "\(whileRunning)")
        #expect(whileRunning.stderr.contains("rolloutctl forecast"), "\(whileRunning)")
        #expect(daemon.stop() == 0)

        let whileStopped = try workspace.ctl("run", "--until", ahead)
        #expect(whileStopped.status == 1, "\(whileStopped)")
        #expect(whileStopped.stderr.contains("wakes after the present"), "\(whileStopped)")
        let cursor = try #require(try Self.cursor(workspace.database))
        #expect(cursor.timeIntervalSince(before ?? cursor) < 60, "run moved the live cursor to \(iso(cursor))")
        #expect(cursor < Date().addingTimeInterval(60))

        // A backup is a scratch copy: simulation belongs there.
        let copy = workspace.directory.path("copy.sqlite")
        let backup = try workspace.ctl("db", "backup", copy)
        #expect(backup.status == 0, "\(backup)")
        let scratch = try workspace.directory.write("scratch.toml", "[store]\npath = \"\(copy)\"\n")
        let simulated = try runProcess(CLITests.rolloutctl, ["run", "--config", scratch, "--until", ahead], in: workspace.directory)
        #expect(simulated.status == 0, "\(simulated)")
        #expect(try Self.cursor(copy) == Instant.parse(ahead))
    }

    @Test("finding 1: a run is bounded: --until 2200 on a scratch database is refused and writes nothing")
    func runIsBounded() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let result = try workspace.ctl("run", "--from", "2026-11-20T00:00:00Z", "--until", "2200-01-01T00:00:00Z")
        #expect(result.status == 64, "\(result)")
        #expect(result.stderr.contains("at most 400 days"), "\(result)")
        #expect(try Self.cursor(workspace.database) == nil, "the refused run started the clock")
        let year = try workspace.ctl("run", "--from", "2026-11-20T00:00:00Z", "--until", "2027-11-20T00:00:00Z")
        #expect(year.status == 0, "\(year)")
    }

    @Test("docs/operations.md no longer recommends `run` on the real database")
    func operationsGuideKeepsRunOnCopies() throws {
        let guide = try String(contentsOf: packageRoot.appendingPathComponent("docs/operations.md"), encoding: .utf8)
        #expect(!guide.contains("start the clock first with\n`rolloutctl run --from INSTANT --until INSTANT` before starting the unit"))
        for line in guide.split(separator: "\n") where line.contains("rolloutctl run ") {
            #expect(line.contains("--config scratch.toml"), "docs/operations.md runs `run` on the live database: \(line)")
        }
    }
}

/// DMN-9: loading a document is an upsert that never undoes a decision of the engine.
@Suite struct TrustDocumentUpsertTests {
    /// `acme` upgraded through the programme (UPG-5).
    static func upgraded() async throws -> UpgradeScenario {
        let s = try await UpgradeProgrammePauseTests.processed()
        try #require(try s.organisation("acme").generation == "cloud")
        return s
    }

    @Test("finding 2: an organisation object without `generation` keeps `cloud`; upgrade-now accepts no second order")
    func omittedGenerationKeepsTheDecision() async throws {
        let s = try await Self.upgraded()
        let upgradedAt = try s.organisation("acme").upgradedAt
        try s.store.apply(Data(#"{"organisations": [{"id": "acme", "name": "Acme Corp", "partners": ["pz"]}]}"#.utf8),
                          at: at("2026-09-15T16:10:00Z"))
        let row = try s.organisation("acme")
        #expect(row.generation == "cloud")
        #expect(row.upgradedAt == upgradedAt)
        #expect(try s.store.read { db in try String.fetchOne(db, sql: "SELECT name FROM organisation WHERE id = 'acme'") } == "Acme Corp")
        #expect(throws: (any Error).self) { try s.requestUpgrade(partner: "pz", ["acme"], at: "2026-09-15T16:30:00Z") }
        #expect(try s.orders("acme").count == 1)
    }

    @Test("finding 2: a document that says `legacy` for an upgraded organisation is refused at its JSON path")
    func statedGenerationCannotRevert() async throws {
        let s = try await Self.upgraded()
        let document = #"{"organisations": [{"id": "acme", "partners": ["pz"], "generation": "legacy"}]}"#
        let error = try #require(throws: DocumentRejected.self) { try s.store.apply(Data(document.utf8), at: at("2026-09-15T16:10:00Z")) }
        #expect(error.problems.map(\.path) == ["$.organisations[0].generation"])
        #expect(error.problems.first?.message.contains("upgraded at 2026-09-14T17:00:00Z") == true, "\(error)")
        #expect(try s.organisation("acme").generation == "cloud")
        // Stating what is stored is fine: re-applying an export changes nothing.
        try s.store.apply(Data(#"{"organisations": [{"id": "acme", "partners": ["pz"], "generation": "cloud"}]}"#.utf8),
                          at: at("2026-09-15T16:20:00Z"))
    }

    @Test("finding 2: absent fields keep their stored values, null clears an optional one")
    func absentFieldsKeepStoredValues() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try Store(path: directory.path("upsert.sqlite"))
        try store.apply(Data("""
            {"partners": [{"id": "p1", "name": "Partner One", "locale": "fr", "release_management": true, "billing_day": 12,
                           "schedule": {"cadence": "slow", "defer_weeks": 6}}],
             "organisations": [{"id": "o1", "partners": ["p1"], "schedule": {"cadence": "latest", "defer_weeks": 2},
                                "allow_customer_override": false, "policy_features": ["dlp"]}],
             "users": [{"id": "u1", "organisation": "o1", "automatic_upgrades": "off"}],
             "endpoints": [{"id": "e1", "organisation": "o1", "user": "u1", "platform": "windows", "installed_version": "45.1.0",
                            "os_version": "11", "agent_version": "14.3"}]}
            """.utf8), at: at("2026-11-02T00:00:00Z"))
        try store.apply(Data("""
            {"partners": [{"id": "p1"}], "organisations": [{"id": "o1"}], "users": [{"id": "u1", "organisation": "o1"}],
             "endpoints": [{"id": "e1", "organisation": "o1", "platform": "windows", "installed_version": "45.2.0", "agent_version": null}]}
            """.utf8), at: at("2026-11-03T00:00:00Z"))
        let values = try store.read { db in
            try Row.fetchOne(db, sql: """
                SELECT p.name, p.locale, p.release_management, p.billing_day, p.cadence AS pc, p.defer_weeks AS pw, p.schedule_set_at AS ps,
                       o.cadence AS oc, o.defer_weeks AS ow, o.allow_customer_override, o.policy_features,
                       u.automatic_upgrades, e.user_id, e.os_version, e.agent_version, e.installed_version,
                       (SELECT count(*) FROM organisation_partner WHERE organisation_id = 'o1') AS partners
                FROM partner p, organisation o, user u, endpoint e
                """)!
        }
        #expect(values["name"] as String == "Partner One")
        #expect(values["locale"] as String == "fr")
        #expect(values["release_management"] as Bool == true)
        #expect(values["billing_day"] as Int == 12)
        #expect(values["pc"] as String == "slow" && values["pw"] as Int == 6)
        #expect(values["ps"] as Int64 == Instant.seconds(at("2026-11-02T00:00:00Z")), "the schedule was not set again")
        #expect(values["oc"] as String == "latest" && values["ow"] as Int == 2)
        #expect(values["allow_customer_override"] as Bool == false)
        #expect(values["policy_features"] as String == #"["dlp"]"#)
        #expect(values["automatic_upgrades"] as String == "off")
        #expect(values["user_id"] as String == "u1")
        #expect(values["os_version"] as String == "11")
        #expect(values["agent_version"] as String? == nil, "null clears")
        #expect(values["installed_version"] as String == "45.2.0")
        #expect(values["partners"] as Int == 1)
    }
}
