import Foundation
import RolloutCore
import Testing

/// The two executables as an operator runs them: `rolloutctl` and `rolloutd`, built by
/// `swift test`, run as processes in a temporary directory with a temporary configuration.
@Suite struct CLITests {
    static let rolloutctl = builtExecutable("rolloutctl")
    static let rolloutd = builtExecutable("rolloutd")

    /// A directory with `rolloutd.toml` pointing the store at `rolloutd.sqlite` inside it.
    struct Workspace {
        let directory: TemporaryDirectory
        let config: String
        var database: String { directory.path("rolloutd.sqlite") }

        init(extra: String = "") throws {
            directory = try TemporaryDirectory()
            config = try directory.write("rolloutd.toml", """
                [store]
                path = "\(directory.path("rolloutd.sqlite"))"
                busy_timeout_ms = 5000
                \(extra)
                """)
        }

        func ctl(_ arguments: String...) throws -> ProcessResult {
            try ctl(arguments)
        }

        func ctl(_ arguments: [String]) throws -> ProcessResult {
            try #require(FileManager.default.isExecutableFile(atPath: CLITests.rolloutctl.path),
                         "build rolloutctl first (swift build)")
            // `--config` belongs to each subcommand, so it follows the subcommand's own arguments.
            return try runProcess(CLITests.rolloutctl, arguments + ["--config", config], in: directory)
        }

        func ctlWithoutConfig(_ arguments: [String]) throws -> ProcessResult {
            try runProcess(CLITests.rolloutctl, arguments, in: directory)
        }

        func daemon(_ arguments: [String]) throws -> ProcessResult {
            try #require(FileManager.default.isExecutableFile(atPath: CLITests.rolloutd.path),
                         "build rolloutd first (swift build)")
            return try runProcess(CLITests.rolloutd, arguments, in: directory)
        }

        func document(_ name: String, _ text: String) throws -> String { try directory.write(name, text) }
    }

    static func decode(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }

    // MARK: calendar

    @Test("calendar --from 2026-11-25T00:00:00Z --count 3 skips Thanksgiving")
    func calendarSkipsThanksgiving() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let result = try workspace.ctl("calendar", "--from", "2026-11-25T00:00:00Z", "--count", "3")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdoutLines == ["2026-11-25T16:00:00Z  Wed 2026-11-25 08:00 PST", "  skipped Thu 2026-11-26: Thanksgiving",
                                       "2026-11-27T16:00:00Z  Fri 2026-11-27 08:00 PST", "2026-11-30T16:00:00Z  Mon 2026-11-30 08:00 PST"])
    }

    @Test("calendar --no-holidays includes 2026-11-26")
    func calendarWithoutHolidays() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let result = try workspace.ctl("calendar", "--from", "2026-11-25T00:00:00Z", "--count", "3", "--no-holidays")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdoutLines == ["2026-11-25T16:00:00Z  Wed 2026-11-25 08:00 PST", "2026-11-26T16:00:00Z  Thu 2026-11-26 08:00 PST",
                                       "2026-11-27T16:00:00Z  Fri 2026-11-27 08:00 PST"])
    }

    @Test("calendar follows the configuration: an added holiday is skipped")
    func calendarReadsConfiguration() throws {
        let workspace = try Workspace(extra: "[calendar]\nadd_holidays = [\"2026-11-27\"]\n")
        defer { workspace.directory.remove() }
        let result = try workspace.ctl("calendar", "--from", "2026-11-25T00:00:00Z", "--count", "2")
        #expect(result.status == 0, "\(result)")
        #expect(result.stdoutLines == ["2026-11-25T16:00:00Z  Wed 2026-11-25 08:00 PST", "  skipped Thu 2026-11-26: Thanksgiving",
                                       "  skipped Fri 2026-11-27: holiday added in the configuration", "2026-11-30T16:00:00Z  Mon 2026-11-30 08:00 PST"])
    }

    // MARK: configuration

    @Test("config check: exit 0 on a valid file, 78 with file, key and reason on stderr on an invalid one")
    func configCheck() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let valid = try workspace.ctl("config", "check")
        #expect(valid.status == 0, "\(valid)")
        #expect(valid.stdout.contains(workspace.config))

        let bad = try workspace.document("bad.toml", "[calendar]\nboundary_hour = 24\n")
        let invalid = try workspace.ctlWithoutConfig(["config", "check", "--config", bad])
        #expect(invalid.status == 78, "\(invalid)")
        #expect(invalid.stderr.contains(bad))
        #expect(invalid.stderr.contains("calendar.boundary_hour"))
        #expect(invalid.stderr.contains("out of range"))
        #expect(invalid.stdout.isEmpty)

        let syntax = try workspace.document("syntax.toml", "[calendar\n")
        let broken = try workspace.ctlWithoutConfig(["config", "check", "--config", syntax])
        #expect(broken.status == 78, "\(broken)")
        #expect(broken.stderr.contains(syntax))
        #expect(broken.stderr.contains("line 1"))
    }

    @Test("rolloutd --check-config: exit 0 on a valid file, 78 with file, key and reason on stderr on an invalid one")
    func daemonCheckConfig() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let valid = try workspace.daemon(["--config", workspace.config, "--check-config"])
        #expect(valid.status == 0, "\(valid)")
        #expect(valid.stdout.contains("configuration ok"))

        let bad = try workspace.document("bad.toml", "[calendar]\nzone = \"Mars/Olympus_Mons\"\n")
        let invalid = try workspace.daemon(["--config", bad, "--check-config"])
        #expect(invalid.status == 78, "\(invalid)")
        #expect(invalid.stderr.contains(bad))
        #expect(invalid.stderr.contains("calendar.zone"))
        #expect(invalid.stderr.contains("Mars/Olympus_Mons"))
        // The database was never created: nothing started.
        #expect(!FileManager.default.fileExists(atPath: workspace.database))
    }

    @Test("rolloutd started with an invalid configuration exits 78 naming file, key and reason (DMN-7)")
    func daemonRefusesInvalidConfiguration() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let bad = try workspace.document("bad.toml", "[daemon]\npoll_interval_seconds = 0\n")
        let result = try workspace.daemon(["--config", bad])
        #expect(result.status == 78, "\(result)")
        #expect(result.stderr.contains(bad))
        #expect(result.stderr.contains("daemon.poll_interval_seconds"))
        #expect(result.stderr.contains("out of range"))
    }

    // MARK: database

    @Test("db check prints the schema version and integrity; it never creates a database")
    func databaseCheck() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let missing = try workspace.ctl("db", "check")
        #expect(missing.status == 1 && missing.stderr.contains("no database at"), "\(missing)")
        #expect(!FileManager.default.fileExists(atPath: workspace.database))
        #expect(try workspace.ctl("apply", try workspace.document("empty.json", "{}")).status == 0)
        let result = try workspace.ctl("db", "check")
        #expect(result.status == 0, "\(result)")
        #expect(FileManager.default.fileExists(atPath: workspace.database))
        let versionLine = try #require(result.stdoutLines.first { $0.hasPrefix("schema version: ") })
        let version = Int(versionLine.dropFirst("schema version: ".count).prefix { $0.isNumber })
        #expect(version != nil && version! >= 1, "\(versionLine)")
        #expect(versionLine.contains("this build knows \(version ?? -1)"))
        #expect(result.stdoutLines.contains("integrity: ok"))
    }

    @Test("db backup writes a copy that db check accepts, with the same entities")
    func databaseBackup() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let document = try workspace.document("state.json", Self.validDocument)
        #expect(try workspace.ctl("apply", document).status == 0)
        let copy = workspace.directory.path("copy.sqlite")
        let backup = try workspace.ctl("db", "backup", copy)
        #expect(backup.status == 0, "\(backup)")
        let copyConfig = try workspace.document("copy.toml", "[store]\npath = \"\(copy)\"\n")
        let check = try workspace.ctlWithoutConfig(["db", "check", "--config", copyConfig])
        #expect(check.status == 0, "\(check)")
        #expect(check.stdoutLines.contains("integrity: ok"))
        let original = try workspace.ctl("get", "endpoints", "--json")
        let copied = try workspace.ctlWithoutConfig(["get", "endpoints", "--json", "--config", copyConfig])
        #expect(copied.status == 0)
        #expect(copied.stdout == original.stdout)
    }

    // MARK: apply and get

    static let validDocument = """
        {
          "partners": [{"id": "p-1", "name": "Acme MSP", "release_management": true}],
          "organisations": [{"id": "o-1", "name": "Org One", "partners": ["p-1"]}],
          "users": [{"id": "u-1", "organisation": "o-1", "name": "Ada"}],
          "endpoints": [
            {"id": "e-1", "organisation": "o-1", "user": "u-1", "platform": "windows", "installed_version": "45.1.0",
             "last_check_in": "2026-03-02T10:00:00Z"},
            {"id": "e-2", "organisation": "o-1", "platform": "ios", "installed_version": "45.0"}
          ],
          "releases": [{"version": "45.2.0", "automatic_date": "2026-03-09T15:00:00Z"}]
        }
        """

    static let invalidDocument = """
        {
          "partners": [{"id": "p-1", "name": "Acme", "billing_day": 31}],
          "organisations": [{"id": "o-1", "name": "Org One", "partners": ["p-1"]}],
          "endpoints": [
            {"id": "e-1", "organisation": "o-missing", "platform": "windows", "installed_version": "45.0"},
            {"id": "e-2", "organisation": "o-1", "platform": "blackberry", "installed_version": "45.0"}
          ]
        }
        """

    static let invalidPaths = ["$.endpoints[0].organisation", "$.endpoints[1].platform", "$.partners[0].billing_day"]

    @Test("apply of a valid document exits 0 and reports the counts, in text and in JSON")
    func applyValid() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let document = try workspace.document("state.json", Self.validDocument)
        let text = try workspace.ctl("apply", document)
        #expect(text.status == 0, "\(text)")
        #expect(text.stdout.contains("2 endpoints"))

        let json = try workspace.ctl("apply", document, "--json")
        #expect(json.status == 0, "\(json)")
        let object = try #require(try Self.decode(json.stdout) as? [String: Any])
        #expect(object["applied"] as? Bool == true)
        #expect(object["counts"] as? [String: Int]
            == ["partners": 1, "organisations": 1, "users": 1, "endpoints": 2, "releases": 1])
        #expect((object["problems"] as? [Any])?.isEmpty == true)
    }

    @Test("apply of a bad document exits 65, lists every path on stderr, and writes nothing")
    func applyInvalid() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let document = try workspace.document("bad.json", Self.invalidDocument)
        let result = try workspace.ctl("apply", document)
        #expect(result.status == 65, "\(result)")
        for path in Self.invalidPaths {
            #expect(result.stderr.contains(path), "stderr does not list \(path)")
        }
        #expect(result.stderr.contains("nothing was written"))
        let partners = try workspace.ctl("get", "partners", "--json")
        #expect(try Self.decode(partners.stdout) as? [Any] != nil)
        #expect((try Self.decode(partners.stdout) as? [Any])?.isEmpty == true)
    }

    @Test("apply --json of a bad document exits 65 with {applied: false, counts: {}, problems: [{path, message}]}")
    func applyInvalidJSON() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let document = try workspace.document("bad.json", Self.invalidDocument)
        let result = try workspace.ctl("apply", document, "--json")
        #expect(result.status == 65, "\(result)")
        let object = try #require(try Self.decode(result.stdout) as? [String: Any], "\(result)")
        #expect(Set(object.keys) == ["applied", "counts", "problems"])
        #expect(object["applied"] as? Bool == false)
        #expect((object["counts"] as? [String: Any])?.isEmpty == true)
        let problems = try #require(object["problems"] as? [[String: Any]])
        #expect(problems.allSatisfy { Set($0.keys) == ["path", "message"] && !(($0["message"] as? String) ?? "").isEmpty })
        #expect(problems.compactMap { $0["path"] as? String }.sorted() == Self.invalidPaths)
    }

    @Test("apply reads standard input with -")
    func applyFromStandardInput() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let document = try workspace.document("state.json", Self.validDocument)
        let process = Process()
        process.executableURL = Self.rolloutctl
        process.arguments = ["apply", "-", "--config", workspace.config]
        process.standardInput = try FileHandle(forReadingFrom: URL(fileURLWithPath: document))
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let endpoints = try workspace.ctl("get", "endpoints", "--json")
        #expect((try Self.decode(endpoints.stdout) as? [Any])?.count == 2)
    }

    static let endpointFields: Set<String> = [
        "id", "organisation", "user", "platform", "os_version", "installed_version", "agent_generation", "agent_version",
        "last_check_in", "target_version", "target_set_at", "upgrade_state", "upgrade_at", "deferral_deadline",
    ]

    @Test("get endpoints --json is a JSON array of objects with the documented fields")
    func getEndpointsJSON() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        // `get` opens the database read-only (DMN-7): it must exist.
        #expect(try workspace.ctl("apply", try workspace.document("empty.json", "{}")).status == 0)
        let empty = try workspace.ctl("get", "endpoints", "--json")
        #expect(empty.status == 0, "\(empty)")
        #expect((try Self.decode(empty.stdout) as? [Any])?.isEmpty == true)

        #expect(try workspace.ctl("apply", try workspace.document("state.json", Self.validDocument)).status == 0)
        let result = try workspace.ctl("get", "endpoints", "--json")
        #expect(result.status == 0, "\(result)")
        let endpoints = try #require(try Self.decode(result.stdout) as? [[String: Any]])
        #expect(endpoints.count == 2)
        for endpoint in endpoints {
            #expect(Set(endpoint.keys).isSuperset(of: Self.endpointFields),
                    "missing \(Self.endpointFields.subtracting(endpoint.keys).sorted())")
        }
        let e1 = try #require(endpoints.first { $0["id"] as? String == "e-1" })
        #expect(e1["organisation"] as? String == "o-1")
        #expect(e1["user"] as? String == "u-1")
        #expect(e1["platform"] as? String == "windows")
        #expect(e1["installed_version"] as? String == "45.1.0")
        #expect(e1["last_check_in"] as? String == "2026-03-02T10:00:00Z")
        let e2 = try #require(endpoints.first { $0["id"] as? String == "e-2" })
        #expect(e2["user"] is NSNull)
        #expect(e2["platform"] as? String == "ios")
    }

    @Test("get prints a table with a header row")
    func getTable() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        #expect(try workspace.ctl("apply", try workspace.document("state.json", Self.validDocument)).status == 0)
        let result = try workspace.ctl("get", "partners")
        #expect(result.status == 0, "\(result)")
        let lines = result.stdoutLines
        #expect(lines.count == 2)
        #expect(lines.first?.hasPrefix("ID") == true)
        #expect(lines.last?.hasPrefix("p-1") == true)
    }

    // MARK: run

    @Test("run --from … --until … --json returns the wakes with at, reasons and late, and processed_through")
    func runJSON() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let result = try workspace.ctl("run", "--from", "2026-11-23T00:00:00Z", "--until", "2026-11-28T00:00:00Z", "--json")
        #expect(result.status == 0, "\(result)")
        let object = try #require(try Self.decode(result.stdout) as? [String: Any], "\(result)")
        #expect(object["processed_through"] as? String == "2026-11-28T00:00:00Z")
        let wakes = try #require(object["wakes"] as? [[String: Any]])
        #expect(wakes.compactMap { $0["at"] as? String }
            == ["2026-11-23T16:00:00Z", "2026-11-24T16:00:00Z", "2026-11-25T16:00:00Z", "2026-11-27T16:00:00Z"])
        for wake in wakes {
            #expect(wake["late"] as? Bool == false)
            let reasons = try #require(wake["reasons"] as? [[String: Any]])
            #expect(reasons.contains { $0["kind"] as? String == "boundary" })
        }
    }

    @Test("run --resume-at replays the missed wakes marked late")
    func runResumeAtIsLate() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let result = try workspace.ctl("run", "--from", "2026-11-23T00:00:00Z", "--until", "2026-11-28T00:00:00Z",
                                       "--resume-at", "2026-11-25T00:00:00Z", "--json")
        #expect(result.status == 0, "\(result)")
        let object = try #require(try Self.decode(result.stdout) as? [String: Any], "\(result)")
        let wakes = try #require(object["wakes"] as? [[String: Any]])
        #expect(wakes.compactMap { $0["at"] as? String }
            == ["2026-11-23T16:00:00Z", "2026-11-24T16:00:00Z", "2026-11-25T16:00:00Z", "2026-11-27T16:00:00Z"])
        #expect(wakes.compactMap { $0["late"] as? Bool } == [true, true, false, false])
    }

    @Test("a second run over an earlier --until is refused, and a later one continues where the first stopped")
    func runRefusesToGoBack() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let first = try workspace.ctl("run", "--from", "2026-11-23T00:00:00Z", "--until", "2026-11-28T00:00:00Z", "--json")
        #expect(first.status == 0, "\(first)")

        let earlier = try workspace.ctl("run", "--until", "2026-11-26T00:00:00Z", "--json")
        #expect(earlier.status != 0, "\(earlier)")
        #expect(earlier.stderr.contains("2026-11-28T00:00:00Z"), "\(earlier)")
        #expect(earlier.stdout.isEmpty)

        // The next run starts from the stored cursor, ignoring --from, and processes only new wakes.
        let next = try workspace.ctl("run", "--from", "2026-11-01T00:00:00Z", "--until", "2026-12-01T00:00:00Z", "--json")
        #expect(next.status == 0, "\(next)")
        let object = try #require(try Self.decode(next.stdout) as? [String: Any], "\(next)")
        #expect((object["wakes"] as? [[String: Any]])?.compactMap { $0["at"] as? String } == ["2026-11-30T16:00:00Z"])
        #expect(object["processed_through"] as? String == "2026-12-01T00:00:00Z")
    }

    @Test("run on a fresh database without --from is refused")
    func runNeedsFrom() throws {
        let workspace = try Workspace()
        defer { workspace.directory.remove() }
        let result = try workspace.ctl("run", "--until", "2026-11-28T00:00:00Z")
        #expect(result.status != 0, "\(result)")
        #expect(result.stderr.contains("--from"))
    }
}
