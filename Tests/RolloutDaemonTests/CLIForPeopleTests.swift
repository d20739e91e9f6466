import Foundation
import Testing

/// The CLI as people use it (issue #12): where `--config` goes, `--version`, one exit status for
/// an unknown id, times in the configured zone beside UTC, `--json` on every command, `get`
/// filters and forms, history and outbox cursors, error messages that say what and where.
@Suite(.serialized) struct CLIForPeopleTests {
    typealias Workspace = CLITests.Workspace

    static let sample = packageRoot.appendingPathComponent("examples/sample-state.json").path

    /// A workspace with the sample state loaded on 2026-11-02 and the loop run to 2026-11-20.
    static func loaded() throws -> Workspace {
        let workspace = try Workspace()
        let apply = try workspace.ctl("apply", sample, "--at", "2026-11-02T00:00:00Z")
        #expect(apply.status == 0, "\(apply)")
        let run = try workspace.ctl("run", "--from", "2026-11-02T00:00:00Z", "--until", "2026-11-20T00:00:00Z")
        #expect(run.status == 0, "\(run)")
        return workspace
    }

    static func json(_ result: ProcessResult) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(result.stdout.utf8))
    }

    // MARK: --config, ROLLOUTD_CONFIG, --version

    @Test("--config works before the subcommand, after it, and from ROLLOUTD_CONFIG")
    func configurationAnywhere() throws {
        let workspace = try Self.loaded()
        defer { workspace.directory.remove() }
        let after = try workspace.ctlWithoutConfig(["get", "partners", "--json", "--config", workspace.config])
        let before = try workspace.ctlWithoutConfig(["--config", workspace.config, "get", "partners", "--json"])
        let equals = try workspace.ctlWithoutConfig(["--config=\(workspace.config)", "get", "partners", "--json"])
        let environment = try runProcess(CLITests.rolloutctl, ["get", "partners", "--json"], in: workspace.directory,
                                         environment: ["ROLLOUTD_CONFIG": workspace.config])
        for result in [after, before, equals, environment] {
            #expect(result.status == 0, "\(result)")
            #expect(result.stdout == after.stdout)
        }
        #expect(try (Self.json(after) as? [Any])?.count == 3)
        // The flag wins over the environment.
        let wins = try runProcess(CLITests.rolloutctl, ["config", "check", "--config", workspace.config], in: workspace.directory,
                                  environment: ["ROLLOUTD_CONFIG": "/nonexistent/rolloutd.toml"])
        #expect(wins.status == 0, "\(wins)")
        let daemon = try runProcess(CLITests.rolloutd, ["--check-config"], in: workspace.directory,
                                    environment: ["ROLLOUTD_CONFIG": workspace.config])
        #expect(daemon.status == 0, "\(daemon)")
        #expect(daemon.stdout.contains(workspace.config))
    }

    @Test("--version on both binaries prints the same release")
    func versions() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let ctl = try workspace.ctlWithoutConfig(["--version"])
        let daemon = try workspace.daemon(["--version"])
        #expect(ctl.status == 0 && daemon.status == 0, "\(ctl)\(daemon)")
        #expect(ctl.stdout.wholeMatch(of: /\d+\.\d+\.\d+\n/) != nil, "\(ctl)")
        #expect(ctl.stdout == daemon.stdout)
    }

    // MARK: no such subject

    @Test("an unknown id is an error on every command, exit 4, message starting with rolloutctl:")
    func unknownIDs() throws {
        let workspace = try Self.loaded()
        defer { workspace.directory.remove() }
        let commands: [[String]] = [
            ["history", "--org", "nope"], ["history", "--endpoint", "nope"], ["history", "--partner", "nope"],
            ["readiness", "--partner", "nope"], ["readiness", "--partner", "northwind", "--org", "nope"],
            ["notifications", "--org", "nope"], ["notifications", "--partner", "nope"],
            ["forecast", "--days", "1", "--partner", "nope"], ["forecast", "--days", "1", "--org", "nope"],
            ["releases", "--version", "99.0.0"], ["get", "organisation", "nope"], ["get", "endpoints", "--org", "nope"],
            ["explain", "--org", "nope"], ["progress", "--partner", "nope"], ["settings", "show", "--org", "nope"],
            ["schedule", "set", "--partner", "nope", "--cadence", "slow"], ["user", "set-auto-upgrade", "--user", "nope", "off"],
            ["endpoint", "report", "--id", "nope", "--version", "45.1.0"], ["endpoint", "defer", "--id", "nope"],
            ["upgrade-now", "--partner", "northwind", "--org", "nope"], ["order", "result", "--org", "nope", "processed"],
        ]
        for command in commands {
            let result = try workspace.ctl(command)
            #expect(result.status == 4, "rolloutctl \(command.joined(separator: " ")): \(result)")
            #expect(result.stderr.hasPrefix("rolloutctl: "), "\(result)")
            #expect(result.stderr.contains("nope") || result.stderr.contains("99.0.0"), "\(result)")
            #expect(result.stdout.isEmpty, "\(result)")
        }
    }

    // MARK: times for people

    @Test("human output shows weekday and zone beside UTC and durations as durations; --json keeps UTC and seconds")
    func timesForPeople() throws {
        let workspace = try Self.loaded()
        defer { workspace.directory.remove() }
        let status = try workspace.ctl("status")
        #expect(status.status == 3, "\(status)")  // the virtual clock stopped in 2026-11: behind the wall clock
        #expect(status.stdout.contains("last wake: 2026-11-19T16:00:00Z (Thu 08:00 PST) [boundary]"), "\(status)")
        let behind = try #require(status.stdoutLines.first { $0.hasPrefix("BEHIND: the next wake is overdue by ") })
        #expect(behind.wholeMatch(of: /BEHIND: the next wake is overdue by \d+ d( \d+ h)?/) != nil, "\(behind)")
        let json = try #require(try Self.json(try workspace.ctl("status", "--json")) as? [String: Any])
        #expect(json["lag_seconds"] is Int)
        #expect((json["processed_through"] as? String) == "2026-11-20T00:00:00Z")

        let history = try workspace.ctl("history", "--org", "fabrikam")
        #expect(history.stdoutLines.contains { $0 == "2026-11-03T16:00:00Z (Tue 08:00 PST)  CAD-2   endpoint:fabrikam-e1: 45.8.0 → 45.9.0" }, "\(history)")
        let request = try workspace.ctl("schedule", "set", "--partner", "northwind", "--org", "contoso", "--cadence", "slow",
                                        "--at", "2026-11-20T10:00:00Z")
        #expect(request.stdoutLines.last == "the daemon applies it at 2026-11-20T16:00:00Z (Fri 08:00 PST), 6 h after the request (CAD-8); "
                + "`rolloutctl changes cancel 1 --as partner` takes it back until then",
                "\(request)")
    }

    @Test("calendar names each holiday it skips and prints weekday and local time; --json keeps UTC instants")
    func calendarForPeople() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let text = try workspace.ctl("calendar", "--from", "2026-12-23T00:00:00Z", "--count", "3")
        #expect(text.stdoutLines == [
            "2026-12-23T16:00:00Z  Wed 2026-12-23 08:00 PST", "2026-12-24T16:00:00Z  Thu 2026-12-24 08:00 PST",
            "  skipped Fri 2026-12-25: Christmas", "2026-12-28T16:00:00Z  Mon 2026-12-28 08:00 PST",
        ], "\(text)")
        let json = try #require(try Self.json(try workspace.ctl("calendar", "--from", "2026-12-24T00:00:00Z", "--count", "2", "--json")) as? [[String: Any]])
        #expect(json.map { $0["at"] as? String } == ["2026-12-24T16:00:00Z", "2026-12-28T16:00:00Z"])
        #expect(json[1]["weekday"] as? String == "Mon")
        #expect(json[1]["local_time"] as? String == "08:00")
        let skipped = try #require(json[1]["skipped"] as? [[String: String]])
        #expect(skipped == [["date": "2026-12-25", "weekday": "Fri", "holiday": "Christmas"]])
    }

    // MARK: --json everywhere

    @Test("--json on db check, config check, db backup and writes: receipts with ids")
    func jsonEverywhere() throws {
        let workspace = try Self.loaded()
        defer { workspace.directory.remove() }
        let check = try #require(try Self.json(try workspace.ctl("db", "check", "--json")) as? [String: Any])
        #expect(check["ok"] as? Bool == true)
        #expect(check["schema_version"] is Int)
        let config = try #require(try Self.json(try workspace.ctl("config", "check", "--json")) as? [String: Any])
        #expect(config["valid"] as? Bool == true)
        let bad = try workspace.document("bad.toml", "[calendar]\nboundary_hour = 24\n")
        let invalid = try workspace.ctlWithoutConfig(["config", "check", "--json", "--config", bad])
        #expect(invalid.status == 78)
        let invalidJSON = try #require(try Self.json(invalid) as? [String: Any])
        #expect(invalidJSON["valid"] as? Bool == false)
        #expect(invalidJSON["key"] as? String == "calendar.boundary_hour")

        let user = try #require(try Self.json(try workspace.ctl("user", "set-auto-upgrade", "--user", "contoso-u3", "off", "--json",
                                                                "--at", "2026-11-20T10:00:00Z")) as? [String: Any])
        #expect(user["request"] as? String == "automatic_upgrades_set")
        #expect(user["subject"] as? String == "user:contoso-u3")
        #expect(user["requested_at"] as? String == "2026-11-20T10:00:00Z")
        let report = try #require(try Self.json(try workspace.ctl("endpoint", "report", "--id", "contoso-e1", "--version", "45.11.0",
                                                                  "--json")) as? [String: Any])
        #expect(report["installed_version"] as? String == "45.11.0")
        let programme = try #require(try Self.json(try workspace.ctl(
            "programme", "create", "--partner", "northwind", "--announce", "2026-11-23T16:00:00Z", "--window-start",
            "2026-12-01T16:00:00Z", "--auto-upgrade", "2026-12-08T16:00:00Z", "--at", "2026-11-20T10:00:00Z", "--json")) as? [String: Any])
        #expect(programme["window_start_at"] as? String == "2026-12-01T16:00:00Z")
        let backup = try #require(try Self.json(try workspace.ctl("db", "backup", workspace.directory.path("b.sqlite"), "--json")) as? [String: Any])
        #expect(backup["request"] as? String == "backup_written")
    }

    // MARK: get

    @Test("get: narrow table by default, -o wide every column, --partner/--org filters, one object by id")
    func getForms() throws {
        let workspace = try Self.loaded()
        defer { workspace.directory.remove() }
        let narrow = try workspace.ctl("get", "endpoints", "--org", "contoso")
        #expect(narrow.stdoutLines.first?.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
                == ["ID", "ORGANISATION", "PLATFORM", "INSTALLED_VERSION", "TARGET_VERSION", "UPGRADE_STATE"], "\(narrow)")
        #expect(narrow.stdoutLines.count == 7)  // header + contoso's six endpoints
        let wide = try workspace.ctl("get", "endpoints", "--org", "contoso", "-o", "wide")
        #expect(wide.stdoutLines.first?.contains("DEFERRAL_DEADLINE") == true, "\(wide)")
        let organisations = try #require(try Self.json(try workspace.ctl("get", "organisations", "--partner", "bleu", "--json")) as? [[String: Any]])
        #expect(Set(organisations.compactMap { $0["id"] as? String }) == ["lamna", "tailspin"])
        let partners = try #require(try Self.json(try workspace.ctl("get", "partners", "--org", "tailspin", "--json")) as? [[String: Any]])
        #expect(Set(partners.compactMap { $0["id"] as? String }) == ["bleu", "northwind"])
        let one = try #require(try Self.json(try workspace.ctl("get", "organisation", "contoso", "--json")) as? [String: Any])
        #expect(one["id"] as? String == "contoso")
        let text = try workspace.ctl("get", "org", "contoso")
        #expect(text.stdoutLines.contains { $0.hasPrefix("generation") && $0.hasSuffix("legacy") }, "\(text)")
    }

    // MARK: history and outbox cursors

    @Test("history --since/--until bound the trail; notifications --after ID reads on from a cursor in write order")
    func cursors() throws {
        let workspace = try Self.loaded()
        defer { workspace.directory.remove() }
        let all = try #require(try Self.json(try workspace.ctl("history", "--org", "fabrikam", "--json")) as? [[String: Any]])
        let window = try #require(try Self.json(try workspace.ctl("history", "--org", "fabrikam", "--since", "2026-11-03T00:00:00Z",
                                                                  "--until", "2026-11-04T00:00:00Z", "--json")) as? [[String: Any]])
        #expect(!window.isEmpty && window.count < all.count)
        #expect(window.allSatisfy { ($0["at"] as? String ?? "").hasPrefix("2026-11-03") })

        let outbox = try #require(try Self.json(try workspace.ctl("notifications", "--json")) as? [[String: Any]])
        let ids = outbox.compactMap { $0["id"] as? Int }.sorted()
        #expect(ids.count > 6)
        let page = try #require(try Self.json(try workspace.ctl("notifications", "--after", String(ids[2]), "--limit", "3", "--json")) as? [[String: Any]])
        #expect(page.compactMap { $0["id"] as? Int } == Array(ids[3...5]))
    }

    // MARK: errors

    @Test("errors say what and where: JSON line and column, the reason a file cannot be read, the backup path; all start with rolloutctl:")
    func errors() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let broken = try workspace.document("broken.json", "{\n  \"partners\": [\n    {\"id\": \"p\",, \"name\": \"x\"}\n  ]\n}\n")
        let json = try workspace.ctl("apply", broken)
        #expect(json.status == 65, "\(json)")
        #expect(json.stderr.contains("line 3, column"), "\(json)")
        let missing = try workspace.ctl("apply", workspace.directory.path("missing.json"))
        #expect(missing.status == 1)
        #expect(missing.stderr == "rolloutctl: cannot read \(workspace.directory.path("missing.json")): No such file or directory\n", "\(missing)")
        let directory = try workspace.ctl("apply", workspace.directory.url.path)
        #expect(directory.stderr.contains("Is a directory"), "\(directory)")
        let backup = try workspace.ctl("db", "backup", "/nonexistent-dir/x.sqlite")
        #expect(backup.status == 1)
        #expect(backup.stderr == "rolloutctl: backup to /nonexistent-dir/x.sqlite refused: cannot create /nonexistent-dir/x.sqlite: "
                + "No such file or directory\n", "\(backup)")
        let usage = try workspace.ctl("get", "widgets")
        #expect(usage.status == 64)
        #expect(usage.stderr.hasPrefix("rolloutctl: "), "\(usage)")
        let conflict = try workspace.ctl("history", "--org", "a", "--partner", "b")
        #expect(conflict.status == 64)
        #expect(conflict.stderr.hasPrefix("rolloutctl: give exactly one of"), "\(conflict)")
    }

    // MARK: forecast

    @Test("forecast: every day shown with its weekday, zero days included; organisations named; the header counts what it prints")
    func forecastForPeople() throws {
        let workspace = try Self.loaded()
        defer { workspace.directory.remove() }
        let text = try workspace.ctl("forecast", "--days", "3")
        #expect(text.status == 0, "\(text)")
        let header = try #require(text.stdoutLines.first)
        let printed = text.stdoutLines.filter { $0.wholeMatch(of: /\d{4}-\d\d-\d\dT.* \[.*\].*/) != nil }.count
        #expect(header.contains(": \(printed) wake(s) that decide or notify, of "), "\(text)")
        #expect(text.stdoutLines.contains { $0.hasPrefix("    who     ") }, "\(text)")
        let days = text.stdoutLines.filter { $0.wholeMatch(of: #/  (Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{4}-\d\d-\d\d.*/#) != nil }
        #expect(days.contains { $0.hasSuffix("   0") }, "\(text)")
        let json = try #require(try Self.json(try workspace.ctl("forecast", "--days", "3", "--json")) as? [String: Any])
        let jsonDays = try #require(json["days"] as? [[String: Any]])
        #expect(jsonDays.count >= 4)
        #expect(jsonDays.allSatisfy { $0["weekday"] is String && $0["retargeted"] is Int })
    }
}
