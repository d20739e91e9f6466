import Foundation
import GRDB
import Logging
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Synchronization
import Testing

/// Locks, schemas and read-only files (DMN-7), on real SQLite files and the real executables.
@Suite struct TrustStoreFaultTests {
    typealias Workspace = CLITests.Workspace

    /// A rule that holds the write lock for `hold` at each of `count` wakes a minute apart: a
    /// long catch-up in miniature.
    final class SlowRule: WakeRule {
        let first: Date
        let count: Int
        let hold: UInt32

        init(first: Date, count: Int, holdMicroseconds: UInt32) {
            self.first = first
            self.count = count
            hold = holdMicroseconds
        }

        func deadlines(_ db: Database, after cursor: Date, context: RuleContext) throws -> [Deadline] {
            let index = max(0, Int(cursor.timeIntervalSince(first) / 60) + 1)
            guard index < count else { return [] }
            return [Deadline(at: first.addingTimeInterval(Double(index) * 60), reason: WakeReason(kind: "slow"))]
        }

        func process(_ wake: inout WakeContext) throws {
            usleep(hold)
            wake.count("slow")
        }
    }

    @Test("finding 7: writers beside a catch-up get a turn between wakes: no 'database is locked'")
    func writersGetATurnDuringCatchUp() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let path = directory.path("busy.sqlite")
        let loopStore = try Store(path: path)
        let start = at("2026-11-02T00:00:00Z")
        try loopStore.startClock(at: start)
        try loopStore.write { db in try db.execute(sql: "CREATE TABLE cli_write (n INTEGER NOT NULL)") }
        let rule = SlowRule(first: start, count: 120, holdMicroseconds: 20_000)
        // Another connection with the CLI's store and a short busy timeout: before the fix the
        // loop took the lock back within microseconds of each commit and these writes failed.
        let cli = try Store(path: path, busyTimeout: 0.5)
        let loop = WakeLoop(store: loopStore, rules: [rule], clock: VirtualClock(startingAt: start.addingTimeInterval(3 * 3_600)),
                            settings: { defaultSettings }, report: { _ in })
        let catchUp = Task { try await loop.run(until: start.addingTimeInterval(3 * 3_600)) }
        var failures: [String] = []
        for n in 0..<20 {
            try await Task.sleep(for: .milliseconds(60))
            do {
                try cli.write { db in try db.execute(sql: "INSERT INTO cli_write (n) VALUES (?)", arguments: [n]) }
            } catch {
                failures.append("\(error)")
            }
        }
        try await catchUp.value
        #expect(failures.isEmpty, "\(failures.count) of 20 writes failed: \(failures.first ?? "")")
        #expect(try wakeCount(loopStore) >= 119)
        #expect(try cli.read { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM cli_write") } == 20 - failures.count)
    }

    /// A database stamped by a "newer release": one migration this build has never heard of.
    static func newerDatabase(_ workspace: Workspace) throws {
        #expect(try workspace.ctl("apply", try workspace.document("p.json", #"{"partners": [{"id": "p1"}]}"#)).status == 0)
        let queue = try DatabaseQueue(path: workspace.database)
        try queue.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('zz-future: a newer release')")
        }
    }

    static func snapshot(_ path: String) throws -> Data {
        let queue = try DatabaseQueue(path: path)
        return try queue.read { db in
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM grdb_migrations ORDER BY identifier")
                + (try Row.fetchAll(db, sql: "SELECT * FROM partner")) + (try Row.fetchAll(db, sql: "SELECT * FROM clock"))
            return Data(rows.map(\.description).joined(separator: "\n").utf8)
        }
    }

    @Test("finding 8: a newer schema is refused for writing: rolloutctl exits 1, the daemon 78, nothing is written")
    func newerSchemaRefused() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        try Self.newerDatabase(workspace)
        let before = try Self.snapshot(workspace.database)

        let run = try workspace.ctl("run", "--from", "2026-11-20T00:00:00Z", "--until", "2026-11-28T00:00:00Z")
        #expect(run.status == 1, "\(run)")
        #expect(run.stderr.contains("has a newer schema than this build knows"), "\(run)")
        #expect(run.stderr.contains("zz-future: a newer release"), "\(run)")
        let apply = try workspace.ctl("apply", try workspace.document("q.json", #"{"partners": [{"id": "p2"}]}"#))
        #expect(apply.status == 1, "\(apply)")
        let daemon = try workspace.daemon(["--config", workspace.config])
        #expect(daemon.status == 78, "\(daemon)")
        #expect(daemon.stderr.contains("newer schema"), "\(daemon)")
        #expect(try Self.snapshot(workspace.database) == before, "a refused open wrote to the database")
    }

    @Test("finding 8: db check compares the schema with the expected one: a missing table fails it")
    func databaseCheckComparesTheSchema() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        #expect(try workspace.ctl("apply", try workspace.document("p.json", #"{"partners": [{"id": "p1"}]}"#)).status == 0)
        let ok = try workspace.ctl("db", "check")
        #expect(ok.status == 0, "\(ok)")
        let queue = try DatabaseQueue(path: workspace.database)
        try queue.write { db in
            try db.execute(sql: "DROP TABLE readiness_item; CREATE INDEX extra_index ON partner(name)")
        }
        let broken = try workspace.ctl("db", "check")
        #expect(broken.status == 1, "\(broken)")
        #expect(broken.stdout.contains("schema: table readiness_item is missing"), "\(broken)")
        #expect(broken.stdout.contains("schema: unexpected index extra_index"), "\(broken)")
    }

    @Test("finding 9: read-only commands work on a read-only filesystem",
          .enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare"), "needs root for a read-only bind mount"))
    func readOnlyFileSystem() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let sample = packageRoot.appendingPathComponent("examples/sample-state.json").path
        #expect(try workspace.ctl("apply", sample, "--at", "2026-11-02T00:00:00Z").status == 0)
        #expect(try workspace.ctl("run", "--from", "2026-11-02T00:00:00Z", "--until", "2026-11-10T00:00:00Z").status == 0)
        let ctl = CLITests.rolloutctl.path
        let directory = workspace.directory.url.path
        let commands = [["status", "--tolerance", "999999999"], ["get", "organisations"], ["releases"], ["history", "--partner", "northwind"],
                        ["explain", "--org", "contoso"], ["progress"], ["notifications"], ["db", "check"], ["forecast", "--days", "3"],
                        ["db", "backup", "/tmp/rolloutd-ro-backup-\(UUID().uuidString).sqlite"]]
        for command in commands {
            let line = ([ctl] + command + ["--config", workspace.config]).map { "'\($0)'" }.joined(separator: " ")
            let result = try runProcess(URL(fileURLWithPath: "/usr/bin/unshare"),
                                        ["-m", "sh", "-c", "mount --bind -o ro '\(directory)' '\(directory)' && \(line)"],
                                        in: workspace.directory)
            #expect(result.status == 0, "\(command.joined(separator: " ")) on a read-only filesystem: \(result)")
            if command.first == "db", command.last?.hasPrefix("/tmp/") == true { try? FileManager.default.removeItem(atPath: command.last!) }
        }
    }
}
