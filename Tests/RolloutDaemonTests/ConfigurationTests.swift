import Foundation
import Logging
import RolloutCore
import RolloutDaemon
import Testing

/// `rolloutd.toml` (DMN-7): an empty file is the SPEC's defaults; anything wrong is an error that
/// names the file, the key and the reason, so `rolloutd` can exit 78 with it.
@Suite struct ConfigurationTests {
    static let file = "/etc/rolloutd/test.toml"

    /// The error `text` is rejected with.
    static func rejection(_ text: String) throws -> ConfigurationError {
        try #require(throws: ConfigurationError.self) { try Configuration.parse(text, file: file) }
    }

    @Test("an empty file gives the SPEC defaults")
    func emptyFileIsDefaults() throws {
        let configuration = try Configuration.parse("", file: Self.file)
        #expect(configuration == Configuration())
        // The defaults themselves, from the SPEC, not from the code.
        #expect(configuration.calendar.zone.identifier == "America/Los_Angeles")  // CAL-1
        #expect(configuration.calendar.boundaryHour == 8)
        #expect(configuration.calendar.boundaryMinute == 0)
        #expect(configuration.calendar.weekdays == [.monday, .tuesday, .wednesday, .thursday, .friday])  // CAL-2
        #expect(configuration.calendar.holidays == BusinessCalendar.Holidays(usFederal: true, added: [], removed: []))
        #expect(configuration.policy.changeWindowHours == 24)  // CAD-8
        #expect(configuration.policy.endpointUpgradeDelayDays == 30)  // UPG-5
        #expect(configuration.policy.endUserDeferralDays == 7)  // SPEC §1
        #expect(configuration.policy.maxEndUserDeferralDays == 30)
        #expect(configuration.policy.orderAnswerTimeoutHours == 24)  // UPG-4
        #expect(configuration.policy.readinessCheckInDays == 30)  // UPG-3
        #expect(configuration.store.path == nil)
        #expect(configuration.store.resolvedPath(environment: [:]) == "/var/lib/rolloutd/rolloutd.sqlite")
        #expect(configuration.store.resolvedPath(environment: ["STATE_DIRECTORY": "/var/lib/x:/var/lib/y"])
            == "/var/lib/x/rolloutd.sqlite")
        #expect(configuration.store.busyTimeoutMilliseconds == 5_000)
        #expect(configuration.daemon.pollIntervalSeconds == 5)
        #expect(configuration.daemon.logLevel == .info)
        #expect(configuration.daemon.retargetsPerWake == 250_000)
    }

    @Test("comments and empty tables are still the defaults")
    func commentsOnlyIsDefaults() throws {
        let text = """
            # rolloutd configuration
            [store]
            [daemon]
            [calendar]
            [releases]
            [upgrades]
            """
        #expect(try Configuration.parse(text, file: Self.file) == Configuration())
    }

    @Test("every key is read into its setting")
    func everyKeyIsRead() throws {
        let text = """
            [store]
            path = "/srv/rollout/db.sqlite"
            busy_timeout_ms = 250

            [daemon]
            poll_interval_seconds = 2
            log_level = "debug"
            retargets_per_wake = 50000

            [calendar]
            zone = "Europe/Paris"
            boundary_hour = 9
            boundary_minute = 30
            weekdays = ["mon", "Tuesday", "wed"]
            us_federal_holidays = false
            add_holidays = [2026-12-24, "2026-12-31"]
            remove_holidays = ["2026-07-03"]

            [releases]
            change_window_hours = 12

            [upgrades]
            endpoint_delay_days = 14
            end_user_deferral_days = 3
            max_end_user_deferral_days = 20
            order_answer_timeout_hours = 48
            readiness_check_in_days = 10
            """
        let configuration = try Configuration.parse(text, file: Self.file)
        #expect(configuration.store.path == "/srv/rollout/db.sqlite")
        #expect(configuration.store.busyTimeoutMilliseconds == 250)
        #expect(configuration.daemon.pollIntervalSeconds == 2)
        #expect(configuration.daemon.logLevel == .debug)
        #expect(configuration.daemon.retargetsPerWake == 50_000)
        #expect(configuration.calendar.zone.identifier == "Europe/Paris")
        #expect(configuration.calendar.boundaryHour == 9)
        #expect(configuration.calendar.boundaryMinute == 30)
        #expect(configuration.calendar.weekdays == [.monday, .tuesday, .wednesday])
        #expect(configuration.calendar.holidays.usFederal == false)
        #expect(configuration.calendar.holidays.added == [LocalDate("2026-12-24")!, LocalDate("2026-12-31")!])
        #expect(configuration.calendar.holidays.removed == [LocalDate("2026-07-03")!])
        #expect(configuration.policy.changeWindowHours == 12)
        #expect(configuration.policy.endpointUpgradeDelayDays == 14)
        #expect(configuration.policy.endUserDeferralDays == 3)
        #expect(configuration.policy.maxEndUserDeferralDays == 20)
        #expect(configuration.policy.orderAnswerTimeoutHours == 48)
        #expect(configuration.policy.readinessCheckInDays == 10)
    }

    /// (case, TOML, key the error names, words its reason contains)
    static let errors: [(String, String, String?, [String])] = [
        ("unknown table", "[network]\nport = 80\n", "network", ["unknown key"]),
        ("unknown key", "[calendar]\nzones = \"UTC\"\n", "calendar.zones", ["unknown key", "zone"]),
        // The cadences' bounds are the vendor's (CAD-1), not configuration.
        ("bound not configurable", "[releases]\nslow_max_weeks = 20\n", "releases.slow_max_weeks", ["unknown key"]),
        ("unknown top-level key", "verbose = true\n", "verbose", ["unknown key"]),
        ("wrong type", "[calendar]\nboundary_hour = \"8\"\n", "calendar.boundary_hour", ["expected an integer"]),
        ("wrong type for a table", "calendar = 8\n", "calendar", ["expected a table"]),
        ("out of range", "[calendar]\nboundary_hour = 24\n", "calendar.boundary_hour", ["24", "out of range", "0 and 23"]),
        ("unknown zone", "[calendar]\nzone = \"Mars/Olympus_Mons\"\n", "calendar.zone", ["Mars/Olympus_Mons", "unknown time zone"]),
        ("bad weekday", "[calendar]\nweekdays = [\"mon\", \"funday\"]\n", "calendar.weekdays", ["funday"]),
        ("no weekday", "[calendar]\nweekdays = []\n", "calendar.weekdays", ["at least one"]),
        ("bad date in add_holidays", "[calendar]\nadd_holidays = [\"2026-02-30\"]\n", "calendar.add_holidays", ["2026-02-30", "not a date"]),
        ("bad date format", "[calendar]\nremove_holidays = [\"24/12/2026\"]\n", "calendar.remove_holidays", ["24/12/2026", "not a date"]),
        ("unknown log level", "[daemon]\nlog_level = \"loud\"\n", "daemon.log_level", ["loud"]),
        ("retargets per wake too small", "[daemon]\nretargets_per_wake = 10\n", "daemon.retargets_per_wake", ["10", "out of range", "100 and 10000000"]),
        ("deferral above the configured maximum", "[upgrades]\nmax_end_user_deferral_days = 10\nend_user_deferral_days = 11\n",
         "upgrades.end_user_deferral_days", ["11", "0 and 10"]),
    ]

    @Test("each error names the file, the key and the reason", arguments: errors)
    func errorNamesFileKeyReason(name: String, text: String, key: String?, words: [String]) throws {
        let error = try Self.rejection(text)
        #expect(error.file == Self.file, "\(name)")
        #expect(error.key == key, "\(name)")
        for word in words {
            #expect(error.reason.contains(word), "\(name): '\(error.reason)' does not mention '\(word)'")
        }
        // The printed form carries all three, for stderr and the journal.
        #expect(error.description.hasPrefix("\(Self.file): \(key.map { "\($0): " } ?? "")"))
        #expect(error.description.hasSuffix(error.reason))
    }

    @Test("a TOML syntax error names the file and the line")
    func syntaxErrorNamesLine() throws {
        let text = """
            [calendar]
            zone = "America/Los_Angeles"
            boundary_hour = = 8
            """
        let error = try Self.rejection(text)
        #expect(error.file == Self.file)
        #expect(error.key == nil)
        #expect(error.reason.contains("syntax error"))
        #expect(error.reason.contains("line 3"))
        #expect(error.description.hasPrefix("\(Self.file): "))
    }

    @Test("load(file:) reads a file from disk and names that path in errors")
    func loadFromDisk() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let good = try directory.write("good.toml", "[calendar]\nboundary_hour = 7\n")
        #expect(try Configuration.load(file: good).calendar.boundaryHour == 7)

        let bad = try directory.write("bad.toml", "[calendar]\nboundary_hour = 24\n")
        let error = try #require(throws: ConfigurationError.self) { try Configuration.load(file: bad) }
        #expect(error.file == bad)
        #expect(error.key == "calendar.boundary_hour")

        let missing = directory.path("missing.toml")
        let unreadable = try #require(throws: ConfigurationError.self) { try Configuration.load(file: missing) }
        #expect(unreadable.file == missing)
        #expect(unreadable.key == nil)
        #expect(unreadable.reason.contains("cannot read"))
    }
}

/// The configuration file the project ships (config/rolloutd.toml), installed as /etc/rolloutd/rolloutd.toml.
@Suite struct ConfigurationShippedFileTests {
    static let shipped = packageRoot.appendingPathComponent("config/rolloutd.toml").path

    @Test("the shipped config/rolloutd.toml exists, parses, and equals the defaults")
    func shippedFileIsDefaults() throws {
        #expect(FileManager.default.fileExists(atPath: Self.shipped), "config/rolloutd.toml is missing")
        #expect(try Configuration.load(file: Self.shipped) == Configuration())
    }

    @Test("every commented-out key in the shipped file shows its default: uncommented, the file is still the defaults")
    func commentedKeysShowDefaults() throws {
        let text = try String(contentsOfFile: Self.shipped, encoding: .utf8)
        var uncommented = 0
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line -> String in
            // `# key = value` (optionally followed by a comment) is a setting shown at its default.
            guard line.hasPrefix("# "), let equals = line.range(of: " = ") else { return String(line) }
            let key = line[line.index(line.startIndex, offsetBy: 2)..<equals.lowerBound]
            guard !key.isEmpty, key.allSatisfy({ $0 == "_" || ("a"..."z").contains($0) }) else { return String(line) }
            uncommented += 1
            return String(line.dropFirst(2))
        }
        #expect(uncommented >= 15, "only \(uncommented) commented-out settings found")
        let configuration = try Configuration.parse(lines.joined(separator: "\n"), file: Self.shipped)
        var expected = Configuration()
        // An explicit path is not "no path", but it is the path the default resolves to outside systemd.
        if let path = configuration.store.path {
            #expect(path == expected.store.resolvedPath(environment: [:]))
            expected.store.path = path
        }
        #expect(configuration == expected)
    }
}
