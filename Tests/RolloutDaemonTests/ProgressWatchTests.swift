import Foundation
import Testing

/// `rolloutctl progress --watch` (issue #12) as an operator runs it: a process that follows a
/// partner's programme in a real database while other processes — `rolloutctl run --until`, the
/// daemon's loop on a controlled clock, and the request commands — move it on, and exits 0 when
/// it is complete, 5 when its failure threshold paused it (OPS-3), 124 when `--timeout` passed.
@Suite(.serialized) struct ProgressWatchTests {
    typealias Workspace = CLITests.Workspace

    /// `pt` manages `acme` (legacy, endpoints pc1 and pc2, ready); its programme's window opened on
    /// Monday 14 September 2026 at 08:00 Pacific and the loop has run to 16:00Z. A failure
    /// threshold of 10 % once 2 started lets two endpoints trip it.
    static func programme() throws -> Workspace {
        let workspace = try Workspace()
        let document = try workspace.document("state.json", """
            {"partners": [{"id": "pt", "name": "Programme MSP", "upgrade_delay_days": 2, "end_user_deferral_days": 7,
                           "failure_threshold_percent": 10, "failure_threshold_minimum": 2}],
             "organisations": [{"id": "acme", "name": "Acme", "partners": ["pt"], "generation": "legacy"}],
             "endpoints": [
               {"id": "pc1", "organisation": "acme", "platform": "windows", "os_version": "10.0.19045", "agent_version": "14.2.0",
                "installed_version": "45.2.0", "last_check_in": "2026-09-10T00:00:00Z"},
               {"id": "pc2", "organisation": "acme", "platform": "windows", "os_version": "10.0.19045", "agent_version": "14.2.0",
                "installed_version": "45.2.0", "last_check_in": "2026-09-10T00:00:00Z"}]}
            """)
        try Self.ok(workspace, "apply", document, "--at", "2026-09-14T00:00:00Z")
        try Self.ok(workspace, "programme", "create", "--partner", "pt", "--announce", "2026-09-14T15:00:00Z",
                    "--window-start", "2026-09-14T15:00:00Z", "--auto-upgrade", "2026-10-01T15:00:00Z", "--at", "2026-09-14T00:00:00Z")
        try Self.ok(workspace, "run", "--from", "2026-09-14T00:00:00Z", "--until", "2026-09-14T16:00:00Z")
        return workspace
    }

    /// Orders acme, the distributor processes it, and the loop runs until both endpoints were
    /// notified (Thursday 17th, two days after processing, at the next boundary).
    static func upgradeAcme(_ workspace: Workspace) throws {
        try ok(workspace, "upgrade-now", "--partner", "pt", "--org", "acme", "--at", "2026-09-14T16:00:00Z")
        try ok(workspace, "run", "--until", "2026-09-14T17:00:00Z")
        try ok(workspace, "order", "result", "--org", "acme", "processed", "--at", "2026-09-14T17:00:00Z")
        try ok(workspace, "run", "--until", "2026-09-18T09:00:00Z")
    }

    @discardableResult
    static func ok(_ workspace: Workspace, _ arguments: String...) throws -> ProcessResult {
        let result = try workspace.ctl(arguments)
        #expect(result.status == 0, "\(arguments): \(result)")
        return result
    }

    /// `rolloutctl progress --watch …` started in the background, its output in files.
    final class Watcher {
        let process = Process()
        let out: URL
        let err: URL

        init(_ workspace: Workspace, _ arguments: [String]) throws {
            out = workspace.directory.url.appendingPathComponent("watch-\(UUID().uuidString).out")
            err = workspace.directory.url.appendingPathComponent("watch-\(UUID().uuidString).err")
            _ = FileManager.default.createFile(atPath: out.path, contents: nil)
            _ = FileManager.default.createFile(atPath: err.path, contents: nil)
            process.executableURL = CLITests.rolloutctl
            process.arguments = ["progress", "--partner", "pt", "--watch", "--interval", "0.05"] + arguments + ["--config", workspace.config]
            process.currentDirectoryURL = workspace.directory.url
            process.standardInput = FileHandle.nullDevice
            process.standardOutput = try FileHandle(forWritingTo: out)
            process.standardError = try FileHandle(forWritingTo: err)
            try process.run()
        }

        var stdout: String { (try? String(contentsOf: out, encoding: .utf8)) ?? "" }
        var lines: [String] { stdout.split(separator: "\n").map(String.init) }
        var objects: [[String: Any]] { lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } }
        var stderr: String { (try? String(contentsOf: err, encoding: .utf8)) ?? "" }

        /// Waits (at most 60 s) for the watcher to exit by itself and returns its status.
        func exitStatus() async -> Int32? {
            guard await ProgressWatchTests.eventually(60, { !process.isRunning }) else {
                process.terminate()
                process.waitUntilExit()
                return nil
            }
            return process.terminationStatus
        }

        deinit { if process.isRunning { process.terminate(); process.waitUntilExit() } }
    }

    /// Waits (at most `seconds`) until `condition` holds, sleeping without holding a thread of
    /// the pool the other suites' servers run on.
    static func eventually(_ seconds: Double, _ condition: () -> Bool) async -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return condition()
    }

    @Test("complete: one JSON object per change while other processes move the programme on, then exit 0")
    func followsToCompletion() async throws {
        let workspace = try Self.programme()
        defer { workspace.directory.remove() }
        let watcher = try Watcher(workspace, ["--json", "--timeout", "120"])
        // The first object is the state the watcher found; it stays running.
        #expect(await Self.eventually(20) { watcher.objects.count >= 1 }, "\(watcher.stderr)")
        #expect(watcher.process.isRunning)
        #expect(watcher.objects.first?["state"] as? String == "progressing")
        #expect(watcher.objects.first?["organisations"] as? [String: Int] == ["legacy": 1])

        try Self.upgradeAcme(workspace)
        #expect(await Self.eventually(20) { watcher.stdout.contains("\"notified\":2") }, "\(watcher.stdout)")
        #expect(watcher.process.isRunning, "two endpoints still to upgrade")
        for endpoint in ["pc1", "pc2"] {
            try Self.ok(workspace, "endpoint", "upgrade-now", "--id", endpoint, "--at", "2026-09-18T10:00:00Z")
            try Self.ok(workspace, "endpoint", "report-installed", "--id", endpoint, "--at", "2026-09-18T10:30:00Z")
            try Self.ok(workspace, "endpoint", "report-restart", "--id", endpoint, "--at", "2026-09-18T11:00:00Z")
        }
        try Self.ok(workspace, "run", "--until", "2026-09-18T12:00:00Z")

        #expect(await watcher.exitStatus() == 0, "\(watcher.stdout)\(watcher.stderr)")
        let objects = watcher.objects
        #expect(objects.count == watcher.lines.count, "every line is one JSON object: \(watcher.stdout)")
        #expect(objects.count >= 3, "a line per change: \(watcher.stdout)")
        #expect(objects.allSatisfy { $0["partner"] as? String == "pt" && $0["pauses"] is [Any] })
        let last = try #require(objects.last)
        #expect(last["state"] as? String == "complete")
        #expect(last["organisations"] as? [String: Int] == ["cloud": 1])
        #expect(last["orders"] as? [String: Int] == ["processed": 1])
        #expect(last["endpoints"] as? [String: Int] == ["upgraded": 2])
        #expect(objects.dropLast().allSatisfy { $0["state"] as? String == "progressing" })
        // Only changes are printed: no two consecutive lines alike.
        #expect(zip(watcher.lines, watcher.lines.dropFirst()).allSatisfy { $0 != $1 })
        #expect(watcher.stderr.isEmpty, "\(watcher.stderr)")
    }

    @Test("failed: the failure threshold pauses the programme at the loop's wake, and the watcher exits 5")
    func failureThresholdEndsItWithFive() async throws {
        let workspace = try Self.programme()
        defer { workspace.directory.remove() }
        try Self.upgradeAcme(workspace)
        let watcher = try Watcher(workspace, ["--timeout", "120"])
        #expect(await Self.eventually(20) { watcher.lines.count >= 1 }, "\(watcher.stderr)")
        #expect(watcher.lines.first == "pt: organisations cloud 1; orders processed 1; endpoints notified 2", "\(watcher.stdout)")

        try Self.ok(workspace, "endpoint", "upgrade-now", "--id", "pc1", "--at", "2026-09-18T10:00:00Z")
        try Self.ok(workspace, "endpoint", "upgrade-now", "--id", "pc2", "--at", "2026-09-18T10:00:00Z")
        try Self.ok(workspace, "endpoint", "report-failure", "--id", "pc1", "--reason", "disk full", "--at", "2026-09-18T11:00:00Z")
        #expect(watcher.process.isRunning, "a failure alone is a fact; the wake decides (OPS-3)")
        try Self.ok(workspace, "run", "--until", "2026-09-18T12:00:00Z")

        #expect(await watcher.exitStatus() == 5, "\(watcher.stdout)\(watcher.stderr)")
        let last = try #require(watcher.lines.last)
        #expect(last.hasPrefix("programme of pt failed: its failure threshold paused it (OPS-3); PAUSED: programme of partner:pt"), "\(last)")
        #expect(last.hasSuffix("after fixing the cause: rolloutctl resume --partner pt --what programme"), "\(last)")
    }

    @Test("an operator's pause is shown and does not end the watch; --timeout ends the wait with 124 and the last state")
    func pauseIsWaitedOutAndTimeoutIsItsOwnStatus() async throws {
        let workspace = try Self.programme()
        defer { workspace.directory.remove() }
        try Self.ok(workspace, "pause", "--partner", "pt", "--what", "programme", "--reason", "agent 14.3 crashes on boot",
                    "--at", "2026-09-14T16:30:00Z")
        let watcher = try Watcher(workspace, ["--json", "--timeout", "1.5"])
        #expect(await watcher.exitStatus() == 124, "\(watcher.stdout)\(watcher.stderr)")
        let states = watcher.objects.map { $0["state"] as? String }
        #expect(states == ["paused", "timed_out"], "\(watcher.stdout)")
        let pauses = try #require(watcher.objects.last?["pauses"] as? [[String: Any]])
        #expect(pauses.first?["actor"] as? String == "operator")
        #expect(watcher.stderr == "rolloutctl: timed out after 1 s waiting for the programme of pt\n", "\(watcher.stderr)")
    }

    @Test("usage and subjects: --watch needs --partner, --interval/--timeout need --watch, an unknown partner or no programme is 4")
    func refusals() throws {
        let workspace = try Self.programme()
        defer { workspace.directory.remove() }
        let usage: [[String]] = [
            ["progress", "--watch"], ["progress", "--partner", "pt", "--timeout", "5"], ["progress", "--partner", "pt", "--interval", "1"],
            ["progress", "--partner", "pt", "--watch", "--interval", "0"], ["progress", "--partner", "pt", "--watch", "--timeout", "-1"],
        ]
        for arguments in usage {
            let result = try workspace.ctl(arguments)
            #expect(result.status == 64, "\(arguments): \(result)")
            #expect(result.stderr.hasPrefix("rolloutctl: "), "\(arguments): \(result)")
        }
        let unknown = try workspace.ctl("progress", "--partner", "nope", "--watch")
        #expect(unknown.status == 4, "\(unknown)")
        let document = try workspace.document("other.json", #"{"partners": [{"id": "quiet", "name": "Quiet MSP"}]}"#)
        try Self.ok(workspace, "apply", document, "--at", "2026-09-14T16:00:00Z")
        let none = try workspace.ctl("progress", "--partner", "quiet", "--watch")
        #expect(none.status == 4, "\(none)")
        #expect(none.stderr == "rolloutctl: partner 'quiet' has no upgrade programme to watch (see `rolloutctl programme create`)\n")
    }
}
