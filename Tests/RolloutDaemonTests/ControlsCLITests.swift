import Foundation
import Testing

/// `rolloutctl pause`, `resume`, `changes` and `changes cancel` as an operator runs them, and
/// what `status`, `progress`, `explain` and the outbox show of them (OPS-1, OPS-2).
@Suite(.serialized) struct ControlsCLITests {
    static func json(_ result: ProcessResult) throws -> Any { try CLIForPeopleTests.json(result) }

    @Test("pause: JSON receipts, shown by status, progress and explain, notified at the wake; resume ends it")
    func pauseAndResume() throws {
        let workspace = try CLIForPeopleTests.loaded()
        defer { workspace.directory.remove() }
        let programme = try workspace.ctl("programme", "create", "--partner", "northwind", "--announce", "2026-11-23T16:00:00Z",
                                          "--window-start", "2026-12-01T16:00:00Z", "--auto-upgrade", "2026-12-08T16:00:00Z",
                                          "--at", "2026-11-20T01:00:00Z")
        #expect(programme.status == 0, "\(programme)")
        let pause = try workspace.ctl("pause", "--partner", "northwind", "--reason", "agent 14.3 crashes on boot",
                                      "--at", "2026-11-20T02:00:00Z", "--json")
        #expect(pause.status == 0, "\(pause)")
        let pauses = try #require(try Self.json(pause) as? [[String: Any]])
        #expect(pauses.map { $0["what"] as? String } == ["releases", "programme"])
        #expect(pauses.allSatisfy { $0["scope"] as? String == "partner:northwind" && $0["since"] as? String == "2026-11-20T02:00:00Z"
                                    && $0["reason"] as? String == "agent 14.3 crashes on boot" && $0["actor"] as? String == "operator"
                                    && $0["id"] is Int })

        let again = try workspace.ctl("pause", "--partner", "northwind", "--what", "programme", "--reason", "x")
        #expect(again.status == 1)
        #expect(again.stderr.hasPrefix("rolloutctl: refused: programme of partner:northwind is already paused since"), "\(again)")
        #expect(try workspace.ctl("pause", "--partner", "nope", "--reason", "x").status == 4)
        #expect(try workspace.ctl("pause", "--partner", "northwind", "--what", "everything", "--reason", "x").status == 64)

        let status = try #require(try Self.json(try workspace.ctl("status", "--json")) as? [String: Any])
        #expect((status["pauses"] as? [[String: Any]])?.count == 2)
        #expect((status["pending"] as? [String: Any])?["pauses"] as? Int == 2)
        let text = try workspace.ctl("status")
        #expect(text.stdoutLines.contains { $0.hasPrefix("PAUSED: programme of partner:northwind paused since 2026-11-20T02:00:00Z") },
                "\(text)")
        let progress = try #require(try Self.json(try workspace.ctl("progress", "--partner", "northwind", "--json")) as? [[String: Any]])
        #expect((progress.first?["pauses"] as? [Any])?.count == 2)
        let explain = try workspace.ctl("explain", "--org", "contoso", "--at", "2026-11-21T00:00:00Z")
        #expect(explain.stdout.contains("PAUSED: releases of partner:northwind"), "\(explain)")
        #expect(explain.stdout.contains("targets are not applied until it is resumed"))

        // The daemon's loop notices it at its instant and tells the partner admins.
        #expect(try workspace.ctl("run", "--until", "2026-11-25T00:00:00Z").status == 0)
        let outbox = try #require(try Self.json(try workspace.ctl("notifications", "--partner", "northwind", "--json")) as? [[String: Any]])
        #expect(outbox.filter { $0["kind"] as? String == "rollout_paused" }.count == 2)
        #expect(!outbox.contains { $0["kind"] as? String == "programme_announced" }, "the announcement is held by the pause")
        let history = try workspace.ctl("history", "--partner", "northwind")
        #expect(history.stdout.contains("OPS-1   partner:northwind: - → programme paused by operator"), "\(history)")

        let resume = try workspace.ctl("resume", "--partner", "northwind", "--what", "programme", "--at", "2026-11-25T01:00:00Z", "--json")
        #expect(resume.status == 0, "\(resume)")
        let resumed = try #require(try Self.json(resume) as? [[String: Any]])
        #expect(resumed.map { $0["resumed_at"] as? String } == ["2026-11-25T01:00:00Z"])
        #expect(resumed.first?["resumed_by"] as? String == "operator")
        let nothing = try workspace.ctl("resume", "--partner", "northwind", "--what", "programme")
        #expect(nothing.status == 1)
        #expect(nothing.stderr.contains("is not paused"), "\(nothing)")
        #expect(try workspace.ctl("run", "--until", "2026-11-25T02:00:00Z").status == 0)
        let after = try #require(try Self.json(try workspace.ctl("notifications", "--partner", "northwind", "--json")) as? [[String: Any]])
        #expect(after.contains { $0["kind"] as? String == "programme_announced" }, "held work is decided at the resume wake")
        #expect(after.contains { $0["kind"] as? String == "rollout_resumed" })
    }

    @Test("changes lists pending requests with apply-by; changes cancel takes one back as the side that may set it")
    func changes() throws {
        let workspace = try CLIForPeopleTests.loaded()
        defer { workspace.directory.remove() }
        let request = try #require(try Self.json(try workspace.ctl(
            "schedule", "set", "--partner", "northwind", "--org", "fabrikam", "--cadence", "latest", "--defer-weeks", "1", "--as", "customer",
            "--at", "2026-11-20T01:00:00Z", "--json")) as? [String: Any])
        let id = try #require(request["id"] as? Int)
        let listed = try #require(try Self.json(try workspace.ctl("changes", "--org", "fabrikam", "--json")) as? [[String: Any]])
        #expect(listed.count == 1)
        #expect(listed.first?["id"] as? Int == id)
        #expect(listed.first?["apply_by"] as? String == "2026-11-20T16:00:00Z")
        #expect(listed.first?["requested_by"] as? String == "customer")
        #expect(listed.first?["partner"] as? String == "northwind")
        let table = try workspace.ctl("changes", "--partner", "northwind")
        #expect(table.stdoutLines.count == 2, "\(table)")
        #expect(table.stdoutLines.last?.hasPrefix("#\(id)") == true)
        #expect(try workspace.ctl("changes", "--org", "nope").status == 4)

        let cancel = try workspace.ctl("changes", "cancel", String(id), "--as", "customer", "--at", "2026-11-20T02:00:00Z", "--json")
        #expect(cancel.status == 0, "\(cancel)")
        let receipt = try #require(try Self.json(cancel) as? [String: Any])
        #expect(receipt["cancelled_by"] as? String == "customer")
        #expect(receipt["cancelled_at"] as? String == "2026-11-20T02:00:00Z")
        let twice = try workspace.ctl("changes", "cancel", String(id), "--as", "partner")
        #expect(twice.status == 1)
        #expect(twice.stderr.contains("already cancelled"), "\(twice)")
        #expect(try workspace.ctl("changes", "cancel", "999", "--as", "partner").status == 4)
        #expect(try workspace.ctl("changes", "cancel", String(id)).status == 64, "--as is required")
        #expect(try workspace.ctl("changes").stdout == "no pending change request\n")
        #expect(try workspace.ctl("run", "--until", "2026-11-21T00:00:00Z").status == 0)
        let history = try workspace.ctl("history", "--org", "fabrikam", "--since", "2026-11-20T00:00:00Z", "--json")
        #expect(!history.stdout.contains("CAD-8"), "a cancelled request is never applied: \(history)")
    }

    @Test("forecast --what-if: the plain forecast and the differences a file of requests makes; nothing written")
    func whatIf() throws {
        let workspace = try CLIForPeopleTests.loaded()
        defer { workspace.directory.remove() }
        // The forecast starts now, whatever today is: a critical release two days ahead, with a
        // build for every desktop platform (CAD-11), is effective at once under every schedule
        // (CAD-2), so lamna (bleu's) is retargeted inside the ten forecast days in the plain
        // forecast, and not once bleu's releases are paused.
        let soon = ISO8601DateFormatter().string(from: Date().addingTimeInterval(2 * 86_400))
        let builds = ["windows": "msi", "macos": "pkg", "linux": "deb"].map { platform, kind in
            #"{"platform": "\#(platform)", "file": "rollout-app-45.13.0.\#(kind)", "size": 1, "sha256": "\#(String(repeating: "ab", count: 32))"}"#
        }
        let release = try workspace.document("critical.json", """
            {"releases": [{"version": "45.13.0", "automatic_date": "\(soon)", "critical": true, "builds": [\(builds.joined(separator: ", "))]}]}
            """)
        let applied = try workspace.ctl("apply", release)
        #expect(applied.status == 0, "\(applied)")
        let file = try workspace.document("what-if.txt", """
            # what if bleu's releases were paused and fabrikam went slow?
            pause --partner bleu --what releases --reason "what if"   # held from now
            schedule set --partner northwind --org fabrikam \\
                --cadence slow --defer-weeks 12
            """)
        let before = try Data(contentsOf: URL(fileURLWithPath: workspace.database))
        let text = try workspace.ctl("forecast", "--days", "10", "--what-if", file)
        #expect(text.status == 0, "\(text)")
        #expect(text.stdout.contains("what-if: 2 request(s) from \(file)"), "\(text)")
        #expect(text.stdout.contains("  pause --partner bleu --what releases --reason what if"), "\(text)")
        #expect(text.stdoutLines.contains { $0.hasPrefix("endpoints: ") && $0.contains("removed") }, "\(text)")
        let result = try #require(try Self.json(try workspace.ctl("forecast", "--days", "10", "--what-if", file, "--json")) as? [String: Any])
        #expect((result["requests"] as? [String])?.count == 2)
        #expect(result["plain"] is [String: Any] && result["what_if"] is [String: Any])
        let differences = try #require(result["differences"] as? [String: Any])
        let endpoints = try #require(differences["endpoints"] as? [[String: Any]])
        #expect(endpoints.contains { $0["organisation"] as? String == "lamna" && $0["change"] as? String == "removed" }, "\(endpoints)")
        let notifications = try #require(differences["notifications"] as? [[String: Any]])
        #expect(notifications.contains { $0["kind"] as? String == "rollout_paused" && $0["change"] as? String == "added" })
        #expect(notifications.contains { $0["kind"] as? String == "update_available" && $0["change"] as? String == "removed" })
        #expect(try Data(contentsOf: URL(fileURLWithPath: workspace.database)) == before, "a what-if writes nothing")
        #expect(try workspace.ctl("changes").stdout == "no pending change request\n")

        let status = try workspace.document("status.txt", "status\n")
        let notRequest = try workspace.ctl("forecast", "--what-if", status)
        #expect(notRequest.status == 64)
        #expect(notRequest.stderr.hasPrefix("rolloutctl: \(status):1: `status` is not a request"), "\(notRequest)")
        let refused = try workspace.document("refused.txt", "\n# nothing\npause --partner nope --reason x\n")
        let unknown = try workspace.ctl("forecast", "--what-if", refused)
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "rolloutctl: \(refused):3: pause --partner nope --reason x: no such partner 'nope'\n", "\(unknown)")
    }
}
