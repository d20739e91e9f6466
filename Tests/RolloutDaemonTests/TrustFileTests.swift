import Foundation
import GRDB
import Logging
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Synchronization
import Testing

/// Files hold customer data and decide where the database lives (DMN-7, security): copies are
/// private, links are not followed, a configuration anybody may write is refused, and operators
/// of the `rolloutd` group read the database without root.
@Suite struct TrustFileTests {
    typealias Workspace = CLITests.Workspace

    static func mode(_ path: String) throws -> Int {
        var info = stat()
        try #require(lstat(path, &info) == 0, "no \(path)")
        return Int(info.st_mode & 0o7777)
    }

    /// Runs `body` with the process umask set to `mask` (children inherit it).
    static func withUmask<T>(_ mask: mode_t, _ body: () throws -> T) rethrows -> T {
        let old = umask(mask)
        defer { umask(old) }
        return try body()
    }

    static func applySample(_ workspace: Workspace) throws {
        let sample = packageRoot.appendingPathComponent("examples/sample-state.json").path
        let applied = try workspace.ctl("apply", sample, "--at", "2026-11-02T00:00:00Z")
        #expect(applied.status == 0, "\(applied)")
    }

    @Test("finding 11: the CLI creates the database 0640 and its WAL alike, whatever the umask")
    func createdDatabaseIsNotWorldReadable() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        try Self.withUmask(0o022) { try Self.applySample(workspace) }
        #expect(try Self.mode(workspace.database) == 0o640)
        let store = try Store(path: workspace.database)
        try store.write { db in try db.execute(sql: "UPDATE partner SET name = name") }
        #expect(try Self.mode(workspace.database + "-wal") == 0o640)
    }

    @Test("finding 11: db backup writes a 0600 copy, never through a symlink, never over a file without --force")
    func backupIsPrivateAndCareful() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        try Self.applySample(workspace)
        let copy = workspace.directory.path("backup.sqlite")
        let backup = try Self.withUmask(0o022) { try workspace.ctl("db", "backup", copy) }
        #expect(backup.status == 0, "\(backup)")
        #expect(try Self.mode(copy) == 0o600)

        // Another database the link points at must survive untouched.
        let other = workspace.directory.path("other.sqlite")
        let otherStore = try Store(path: other)
        try otherStore.apply(Data(#"{"partners": [{"id": "only-in-other"}]}"#.utf8))
        let link = workspace.directory.path("link.sqlite")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: other)
        for arguments in [["db", "backup", link], ["db", "backup", link, "--force"]] {
            let refused = try runProcess(CLITests.rolloutctl, arguments + ["--config", workspace.config], in: workspace.directory)
            #expect(refused.status == 1, "\(refused)")
            #expect(refused.stderr.contains("symbolic link"), "\(refused)")
        }
        #expect(try otherStore.read { db in try String.fetchAll(db, sql: "SELECT id FROM partner") } == ["only-in-other"])

        let again = try workspace.ctl("db", "backup", copy)
        #expect(again.status == 1, "\(again)")
        #expect(again.stderr.contains("already exists") && again.stderr.contains("--force"), "\(again)")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: copy)
        let forced = try workspace.ctl("db", "backup", copy, "--force")
        #expect(forced.status == 0, "\(forced)")
        #expect(try Self.mode(copy) == 0o600)
        #expect(try Store(path: copy, readOnly: true).integrityProblems().isEmpty)
    }

    @Test("finding 11: forecast's copy lives in a private 0700 directory as a 0600 file while it runs")
    func forecastCopyIsPrivate() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let store = try Store(path: directory.path("f.sqlite"))
        try store.apply(try Data(contentsOf: packageRoot.appendingPathComponent("examples/sample-state.json")), at: at("2026-11-02T00:00:00Z"))
        try store.startClock(at: at("2026-11-02T00:00:00Z"))
        let seen = Mutex<[String: Int]>([:])
        let temporary = FileManager.default.temporaryDirectory.path
        let oldMask = umask(0o022)
        defer { umask(oldMask) }
        _ = try await Forecast.run(store: store, rules: Rules.all, settings: defaultSettings, now: at("2026-11-02T00:00:00Z"), days: 3,
                                   partner: nil, organisation: nil) { _ in
            for name in (try? FileManager.default.contentsOfDirectory(atPath: temporary)) ?? [] where name.hasPrefix("rolloutd-forecast-") {
                let folder = "\(temporary)/\(name)"
                seen.withLock { $0[folder] = (try? Self.mode(folder)) ?? -1 }
                for file in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where file.hasSuffix(".sqlite") {
                    seen.withLock { $0["\(folder)/\(file)"] = (try? Self.mode("\(folder)/\(file)")) ?? -1 }
                }
            }
        }
        let modes = seen.withLock { $0 }
        #expect(!modes.isEmpty, "no forecast copy seen while the forecast ran")
        for (path, mode) in modes {
            #expect(mode == (path.hasSuffix(".sqlite") ? 0o600 : 0o700), "\(path) has mode \(String(mode, radix: 8))")
        }
    }

    @Test("finding 12: a configuration anybody may write, or owned by another user, is refused like sshd's StrictModes")
    func configurationOwnership() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        #expect(try workspace.ctl("config", "check").status == 0)
        try FileManager.default.setAttributes([.posixPermissions: 0o666], ofItemAtPath: workspace.config)
        let writable = try workspace.ctl("config", "check")
        #expect(writable.status == 78, "\(writable)")
        #expect(writable.stderr.contains("world-writable (mode 666)") && writable.stderr.contains("chmod o-w"), "\(writable)")
        let daemon = try workspace.daemon(["--config", workspace.config])
        #expect(daemon.status == 78 && daemon.stderr.contains("world-writable"), "\(daemon)")
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: workspace.config)
        guard geteuid() == 0 else { return }
        try #require(chown(workspace.config, 4_242, 0) == 0)
        let foreign = try workspace.ctl("config", "check")
        #expect(foreign.status == 78, "\(foreign)")
        #expect(foreign.stderr.contains("owned by uid 4242"), "\(foreign)")
    }

    @Test("finding 10: zone \"UTC+5\" and text after a NUL byte are refused with file, key and reason")
    func configurationInput() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let zone = try workspace.directory.write("zone.toml", "[calendar]\nzone = \"UTC+5\"\n")
        let refused = try workspace.ctlWithoutConfig(["config", "check", "--config", zone])
        #expect(refused.status == 78, "\(refused)")
        #expect(refused.stderr.contains("calendar.zone: unknown time zone 'UTC+5'"), "\(refused)")
        for good in ["UTC", "Europe/Paris", "America/Los_Angeles"] {
            let file = try workspace.directory.write("good.toml", "[calendar]\nzone = \"\(good)\"\n")
            #expect(try workspace.ctlWithoutConfig(["config", "check", "--config", file]).status == 0, "\(good)")
        }
        let nul = workspace.directory.path("nul.toml")
        try Data("[daemon]\npoll_interval_seconds = 5\n\u{0}\n[store]\npath = \"/elsewhere.sqlite\"\n".utf8).write(to: URL(fileURLWithPath: nul))
        let hidden = try workspace.ctlWithoutConfig(["config", "check", "--config", nul])
        #expect(hidden.status == 78, "\(hidden)")
        #expect(hidden.stderr.contains("NUL byte (line 3)"), "\(hidden)")
    }

    /// An operator account in the database's group (not root) and one outside it.
    static func asUser(_ uid: Int, group gid: Int, _ arguments: [String], in workspace: Workspace) throws -> ProcessResult {
        try runProcess(URL(fileURLWithPath: "/usr/bin/setpriv"),
                       ["--reuid", "\(uid)", "--regid", "\(gid)", "--clear-groups", CLITests.rolloutctl.path] + arguments
                        + ["--config", workspace.config], in: workspace.directory)
    }

    @Test("#12 files and people: a member of the database's group runs the read-only commands without root; others get 'permission denied'",
          .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs root to switch users"))
    func groupOperatorsReadWithoutRoot() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        try Self.applySample(workspace)
        #expect(try workspace.ctl("run", "--from", "2026-11-02T00:00:00Z", "--until", "2026-11-10T00:00:00Z").status == 0)
        // The state directory as the unit makes it: owner the daemon, group rolloutd (gid 4343), 0750.
        let state = workspace.directory.path("state")
        try FileManager.default.createDirectory(atPath: state, withIntermediateDirectories: false)
        try FileManager.default.moveItem(atPath: workspace.database, toPath: "\(state)/rolloutd.sqlite")
        for path in [state, "\(state)/rolloutd.sqlite"] { #expect(chown(path, 0, 4_343) == 0) }
        #expect(chmod(state, 0o750) == 0)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: workspace.directory.url.path)
        let config = try workspace.directory.write("rolloutd.toml", "[store]\npath = \"\(state)/rolloutd.sqlite\"\n")
        #expect(config == workspace.config)
        #expect(try Self.mode("\(state)/rolloutd.sqlite") == 0o640)

        let commands = [["status", "--tolerance", "999999999"], ["get", "organisations"], ["history", "--partner", "northwind"],
                        ["db", "check"], ["notifications"]]
        for command in commands {
            let member = try Self.asUser(4_242, group: 4_343, command, in: workspace)
            #expect(member.status == 0, "\(command.joined(separator: " ")) as a rolloutd group member, no daemon: \(member)")
        }
        // While the daemon has the database open, its -wal and -shm exist with the database's mode.
        let daemon = try Store(path: "\(state)/rolloutd.sqlite")
        try daemon.write { db in try db.execute(sql: "UPDATE partner SET name = name") }
        for file in ["-wal", "-shm"] { #expect(try Self.mode("\(state)/rolloutd.sqlite\(file)") == 0o640, "\(file)") }
        for command in commands {
            let member = try Self.asUser(4_242, group: 4_343, command, in: workspace)
            #expect(member.status == 0, "\(command.joined(separator: " ")) as a rolloutd group member, daemon running: \(member)")
        }
        let outsider = try Self.asUser(4_242, group: 4_444, ["status"], in: workspace)
        #expect(outsider.status == 1, "\(outsider)")
        #expect(outsider.stderr.contains("permission denied"), "\(outsider)")
        #expect(!outsider.stderr.contains("no database"), "\(outsider)")
    }
}

/// DMN-5: idle wakes are summarized, not one info entry each.
@Suite struct TrustIdleJournalTests {
    final class Capture: LogHandler, @unchecked Sendable {
        let entries = Mutex<[(Logger.Level, String, Logger.Metadata)]>([])
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            entries.withLock { $0.append((event.level, "\(event.message)", event.metadata ?? [:])) }
        }
    }

    @Test("finding 16: a thousand idle wakes make one info entry, not a thousand")
    func idleWakesAreSummarized() throws {
        let capture = Capture()
        var logger = Logger(label: "test", factory: { _ in capture })
        logger.logLevel = .info
        let journal = WakeJournalWriter(idleEvery: .seconds(3_600))
        let start = at("2026-11-02T16:00:00Z")
        for second in 0..<1_000 {
            journal.log(WakeSummary(at: start.addingTimeInterval(Double(second) * 5), reasons: [WakeReason(kind: "retarget_requested")], late: false),
                        to: logger)
        }
        var busy = WakeSummary(at: start.addingTimeInterval(5_000), reasons: [.boundary], late: false)
        busy.decisions["endpoint_retargeted"] = 3
        journal.log(busy, to: logger)
        let info = capture.entries.withLock { $0 }.filter { $0.0 >= .info }
        #expect(info.count == 2, "\(info.map(\.1))")
        #expect(info.first?.1 == "1000 idle wake(s) from 2026-11-02T16:00:00Z to 2026-11-02T17:23:15Z: no decisions, no notifications")
        #expect(info.first?.2["MESSAGE_ID"] == "\(JournalMessage.idle.id)")
        #expect(info.last?.2["MESSAGE_ID"] == "\(JournalMessage.wake.id)")
        #expect(journal.flush(to: logger) == false, "nothing left to summarize")
    }

    @Test("finding 16: a quiet stretch still shows one entry per interval, and the rest at stop")
    func quietStretchIsSummarizedPeriodically() throws {
        let capture = Capture()
        let logger = Logger(label: "test", factory: { _ in capture })
        let journal = WakeJournalWriter(idleEvery: .zero)
        journal.log(WakeSummary(at: at("2026-11-02T16:00:00Z"), reasons: [.boundary], late: false), to: logger)
        #expect(capture.entries.withLock { $0 }.filter { $0.0 == .info }.count == 1)
        let stopping = WakeJournalWriter(idleEvery: .seconds(3_600))
        stopping.log(WakeSummary(at: at("2026-11-03T16:00:00Z"), reasons: [.boundary], late: false), to: logger)
        #expect(stopping.flush(to: logger))
        #expect(capture.entries.withLock { $0 }.filter { $0.0 == .info }.count == 2)
    }
}

/// Issue #9 finding 10: document input that must be refused (DMN-7), through `rolloutctl apply`.
@Suite struct TrustDocumentInputTests {
    typealias Workspace = CLITests.Workspace

    static func apply(_ document: String) throws -> ProcessResult {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        return try workspace.ctl("apply", try workspace.document("state.json", document))
    }

    static let sha = String(repeating: "ab", count: 32)

    @Test("finding 10: refused at its JSON path with exit 65", arguments: [
        ("an id over 128 bytes by combining characters", "{\"partners\": [{\"id\": \"e" + String(repeating: "\u{301}", count: 100) + "\"}]}",
         "$.partners[0].id"),
        ("a sha256 of full-width digits", #"{"releases": [{"version": "45.1.0", "automatic_date": "2026-03-09T15:00:00Z", "builds": [{"platform": "linux", "file": "a.deb", "size": 1, "sha256": ""#
            + String(repeating: "０", count: 64) + #""}]}]}"#, "$.releases[0].builds[0].sha256"),
        ("a 300-byte organisation name", #"{"partners": [{"id": "p1"}], "organisations": [{"id": "o1", "partners": ["p1"], "name": ""#
            + String(repeating: "x", count: 300) + #""}]}"#, "$.organisations[0].name"),
        ("an instant that does not exist", #"{"releases": [{"version": "45.1.0", "automatic_date": "2026-02-30T00:00:00Z"}]}"#,
         "$.releases[0].automatic_date"),
        ("an offset beyond ±24:00", #"{"releases": [{"version": "45.1.0", "automatic_date": "2026-03-09T15:00:00+25:00"}]}"#,
         "$.releases[0].automatic_date"),
        ("year 0000", #"{"releases": [{"version": "45.1.0", "automatic_date": "0000-01-01T00:00:00Z"}]}"#,
         "$.releases[0].automatic_date"),
    ])
    func refused(_ what: String, _ document: String, _ path: String) throws {
        let result = try Self.apply(document)
        #expect(result.status == 65, "\(what): \(result)")
        #expect(result.stderr.contains(path) || result.stdout.contains(path), "\(what): \(result)")
    }

    @Test("finding 10: two spellings of café are one id: no raw SQLite foreign-key error, the document applies")
    func normalizedIDs() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let document = """
            {"partners": [{"id": "p1"}], "organisations": [{"id": "caf\u{E9}", "partners": ["p1"]}],
             "endpoints": [{"id": "e1", "organisation": "cafe\u{301}", "platform": "linux", "installed_version": "45.1.0"}]}
            """
        let result = try workspace.ctl("apply", try workspace.document("state.json", document))
        #expect(result.status == 0, "\(result)")
        let store = try Store(path: workspace.database, readOnly: true)
        #expect(try store.read { db in try String.fetchOne(db, sql: "SELECT organisation_id FROM endpoint") } == "caf\u{E9}")
        #expect(try store.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM organisation") } == 1)
    }
}
