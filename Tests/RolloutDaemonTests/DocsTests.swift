import Foundation
import RolloutCore
import RolloutDaemon
import RolloutEngine
import RolloutStore
import Testing

/// The operator documentation says what the executables do; these tests keep it true:
/// docs/cli.md against `rolloutctl --help`, the exit statuses of docs/operations.md against the
/// code and real runs, docs/journal.md against systemd/rolloutd.catalog and `JournalMessage`, and
/// `scripts/install` against a staging directory.
@Suite struct DocsTests {
    static func read(_ relativePath: String) throws -> String {
        try String(contentsOf: packageRoot.appendingPathComponent(relativePath), encoding: .utf8)
    }

    static func ctl(_ arguments: [String], in directory: TemporaryDirectory) throws -> ProcessResult {
        try runProcess(builtExecutable("rolloutctl"), arguments, in: directory)
    }

    // MARK: docs/cli.md ↔ rolloutctl --help

    /// Subcommand names from the SUBCOMMANDS section of a help text (without `help`).
    static func subcommands(inHelp help: String) -> [String] {
        guard let start = help.range(of: "SUBCOMMANDS:\n") else { return [] }
        return help[start.upperBound...].split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            let name = line.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init)
            // Command names are lowercase; the closing "See 'rolloutctl help …'" line is not one.
            guard let name, name != "help", name.wholeMatch(of: /[a-z][a-z-]*/) != nil else { return nil }
            return name
        }
    }

    /// Every command path of rolloutctl, leaves only (`["schedule", "set"]`, `["status"]`).
    static func commandPaths(in directory: TemporaryDirectory) throws -> [[String]] {
        let top = try ctl(["--help"], in: directory)
        #expect(top.status == 0, "\(top)")
        var paths: [[String]] = []
        for command in subcommands(inHelp: top.stdout) {
            let help = try ctl([command, "--help"], in: directory)
            #expect(help.status == 0, "\(command): \(help)")
            let children = subcommands(inHelp: help.stdout)
            paths += children.isEmpty ? [[command]] : children.map { [command, $0] }
        }
        return paths
    }

    /// The command paths docs/cli.md documents: the words that open each backquoted span of a
    /// `###` heading, up to the first option, placeholder or bracket; `a|b` names two commands.
    static func documentedPaths() throws -> [[String]] {
        var paths: [[String]] = []
        for line in try read("docs/cli.md").split(separator: "\n") where line.hasPrefix("### ") {
            let spans = line.split(separator: "`", omittingEmptySubsequences: false).enumerated()
                .filter { $0.offset % 2 == 1 }.map(\.element)
            for span in spans {
                var words: [[String]] = []
                for word in span.split(separator: " ") {
                    let alternatives = word.split(separator: "|").map(String.init)
                    guard alternatives.allSatisfy({ $0.wholeMatch(of: /[a-z][a-z-]*/) != nil }) else { break }
                    words.append(alternatives)
                }
                guard !words.isEmpty else { continue }
                var expanded: [[String]] = [[]]
                for alternatives in words {
                    expanded = expanded.flatMap { prefix in alternatives.map { prefix + [$0] } }
                }
                paths += expanded
            }
        }
        return paths
    }

    @Test func everyDocumentedCommandExists() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let documented = try Self.documentedPaths()
        #expect(documented.count >= 30, "docs/cli.md headings: \(documented)")
        for path in documented {
            let help = try Self.ctl(path + ["--help"], in: directory)
            #expect(help.status == 0, "rolloutctl \(path.joined(separator: " ")) --help: \(help)")
            // `--help` exits 0 even after an unknown word; the usage line names the real command.
            #expect(help.stdout.contains("USAGE: rolloutctl \(path.joined(separator: " ")) ")
                    || help.stdout.contains("USAGE: rolloutctl \(path.joined(separator: " "))\n"),
                    "docs/cli.md documents `rolloutctl \(path.joined(separator: " "))`, which does not exist")
        }
    }

    @Test func everyCommandIsDocumented() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let documented = Set(try Self.documentedPaths())
        let paths = try Self.commandPaths(in: directory)
        #expect(paths.count >= 30)
        for path in paths {
            #expect(documented.contains(path), "`rolloutctl \(path.joined(separator: " "))` is missing from docs/cli.md")
        }
    }

    // MARK: docs/operations.md exit statuses ↔ the code

    /// The statuses in the first column of the table after `marker` in the exit-status section.
    static func documentedStatuses(after marker: String) throws -> Set<Int32> {
        let text = try read("docs/operations.md")
        let section = try #require(text.range(of: "## Exit statuses")).upperBound
        let start = try #require(text.range(of: marker, range: section..<text.endIndex)).upperBound
        var statuses: Set<Int32> = []
        var inTable = false
        for line in text[start...].split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("|") {
                inTable = true
                let cell = line.split(separator: "|").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                if let status = Int32(cell) { statuses.insert(status) }
            } else if inTable {
                break
            }
        }
        return statuses
    }

    /// Exit statuses the sources can produce: literal `ExitCode(N)`, the named ones, the daemon's
    /// `ExitStatus` cases, and swift-argument-parser's usage error (64).
    static func statusesInCode(_ directories: [String]) throws -> Set<Int32> {
        var statuses: Set<Int32> = [0, 64]
        var sources = ""
        for directory in directories {
            let url = packageRoot.appendingPathComponent(directory)
            for name in try FileManager.default.contentsOfDirectory(atPath: url.path) where name.hasSuffix(".swift") {
                sources += try String(contentsOf: url.appendingPathComponent(name), encoding: .utf8)
            }
        }
        for match in sources.matches(of: /ExitCode\((\d+)\)/) { statuses.insert(Int32(match.1)!) }
        if sources.contains("ExitCode.failure") { statuses.insert(1) }
        if sources.contains("ExitCode.validationFailure") { statuses.insert(64) }
        if sources.contains("Daemon.ExitStatus.failure") || sources.contains("status.rawValue") {
            statuses.insert(Daemon.ExitStatus.failure.rawValue)
        }
        if sources.contains("Daemon.ExitStatus.configuration") { statuses.insert(Daemon.ExitStatus.configuration.rawValue) }
        return statuses
    }

    @Test func exitStatusesOfRolloutctlAreTheCodes() throws {
        let documented = try Self.documentedStatuses(after: "`rolloutctl`:")
        let used = try Self.statusesInCode(["Sources/rolloutctl"])
        #expect(documented == used, "docs/operations.md lists \(documented.sorted()), the code uses \(used.sorted())")

        // And each one, for real.
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let config = try directory.write("rolloutd.toml", "[store]\npath = \"\(directory.path("rolloutd.sqlite"))\"\n")
        let bad = try directory.write("bad.toml", "[daemon]\npoll_interval_seconds = 0\n")
        let document = try directory.write("bad.json", #"{"partners": [{"id": "p", "locale": "de"}]}"#)
        #expect(try Self.ctl(["apply", "--config", config, packageRoot.appendingPathComponent("examples/sample-state.json").path],
                             in: directory).status == 0)
        #expect(try Self.ctl(["run", "--config", config, "--from", "2020-01-06T00:00:00Z", "--until", "2020-01-07T00:00:00Z"],
                             in: directory).status == 0)
        // Two programmes to watch: northwind's paused by its failure threshold (the automatic
        // pause OPS-3 makes; ProgressWatchTests trips it through the loop), bleu's in progress.
        for partner in ["northwind", "bleu"] {
            #expect(try Self.ctl(["programme", "create", "--config", config, "--partner", partner, "--announce", "2020-01-20T16:00:00Z",
                                  "--window-start", "2020-02-04T16:00:00Z", "--auto-upgrade", "2020-03-03T16:00:00Z",
                                  "--at", "2020-01-07T00:00:00Z"], in: directory).status == 0)
        }
        _ = try Store(path: directory.path("rolloutd.sqlite")).pause(
            partner: "northwind", organisation: nil, areas: [.programme], reason: "3 of 22 failed", actor: failureThresholdActor,
            at: try #require(Instant.parse("2020-01-07T00:00:00Z")))
        let reproducers: [Int32: [String]] = [
            0: ["config", "check", "--config", config],
            1: ["order", "result", "--config", config, "--org", "contoso", "processed"],
            3: ["status", "--config", config],
            4: ["explain", "--config", config, "--org", "no-such-organisation"],
            5: ["progress", "--config", config, "--partner", "northwind", "--watch"],
            64: ["no-such-command"],
            65: ["apply", "--config", config, document],
            78: ["config", "check", "--config", bad],
            124: ["progress", "--config", config, "--partner", "bleu", "--watch", "--interval", "0.05", "--timeout", "0.2"],
        ]
        for status in documented.sorted() {
            let arguments = try #require(reproducers[status], "no reproducer for documented status \(status)")
            let result = try Self.ctl(arguments, in: directory)
            #expect(result.status == status, "rolloutctl \(arguments.joined(separator: " ")): \(result)")
        }
    }

    @Test func exitStatusesOfRolloutdAreTheCodes() throws {
        let documented = try Self.documentedStatuses(after: "`rolloutd`:")
        let used = try Self.statusesInCode(["Sources/rolloutd"])
        #expect(documented == used, "docs/operations.md lists \(documented.sorted()), the code uses \(used.sorted())")
        #expect(Set(Daemon.ExitStatus.allRawValues).isSubset(of: documented))

        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let good = try directory.write("good.toml", "[store]\npath = \"\(directory.path("rolloutd.sqlite"))\"\n")
        // A store under a regular file cannot be created: the daemon exits 1 before it starts.
        let blocker = try directory.write("blocker", "")
        let unopenable = try directory.write("unopenable.toml", "[store]\npath = \"\(blocker)/rolloutd.sqlite\"\n")
        let bad = try directory.write("bad.toml", "[daemon]\npoll_interval_seconds = 0\n")
        let reproducers: [Int32: [String]] = [
            0: ["--config", good, "--check-config"],
            1: ["--config", unopenable],
            64: ["--no-such-option"],
            78: ["--config", bad],
        ]
        for status in documented.sorted() {
            let arguments = try #require(reproducers[status], "no reproducer for documented status \(status)")
            let result = try runProcess(builtExecutable("rolloutd"), arguments, in: directory)
            #expect(result.status == status, "rolloutd \(arguments.joined(separator: " ")): \(result)")
        }
    }

    // MARK: docs/journal.md ↔ systemd/rolloutd.catalog ↔ JournalMessage

    @Test func journalMessageIDsMatchTheCatalog() throws {
        let catalog = Set(try Self.read("systemd/rolloutd.catalog").matches(of: /(?m)^-- ([0-9a-f]{32})$/).map { String($0.1) })
        let documented = Set(try Self.read("docs/journal.md").matches(of: /\b[0-9a-f]{32}\b/).map { String($0.0) })
        let code = Set(JournalMessage.allCases.map(\.id))
        #expect(catalog == code, "catalog vs JournalMessage: \(catalog.symmetricDifference(code))")
        #expect(documented == catalog, "docs/journal.md vs catalog: \(documented.symmetricDifference(catalog))")
        let operations = Set(try Self.read("docs/operations.md").matches(of: /\b[0-9a-f]{32}\b/).map { String($0.0) })
        #expect(operations.isSubset(of: catalog), "docs/operations.md names unknown MESSAGE_IDs: \(operations.subtracting(catalog))")
    }

    // MARK: scripts/install

    /// The install test uses the debug binaries (`--bin-dir`) rather than a release build, and
    /// must not run SwiftPM on the .build `swift test` holds: generate-docs takes the
    /// generate-manual tool the plugin left there, or builds it from the swift-argument-parser
    /// checkout into a scratch directory of its own (about 15 s, once).
    static var canInstall: Bool {
        let build = packageRoot.appendingPathComponent(".build")
        let fm = FileManager.default
        return fm.isExecutableFile(atPath: builtExecutable("rolloutctl").path)
            && fm.isExecutableFile(atPath: builtExecutable("rolloutd").path)
            && fm.fileExists(atPath: build.appendingPathComponent("checkouts/swift-argument-parser/Package.swift").path)
    }

    @Test(.enabled(if: canInstall, "needs the debug executables and the swift-argument-parser checkout"),
          .timeLimit(.minutes(5)))
    func installStagesManPagesAndCompletions() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let stage = directory.path("stage")
        let result = try runProcess(URL(fileURLWithPath: "/bin/bash"),
                                    [packageRoot.appendingPathComponent("scripts/install").path, "--destdir", stage,
                                     "--bin-dir", builtExecutable("rolloutctl").deletingLastPathComponent().path],
                                    in: directory)
        try #require(result.status == 0, "\(result)")
        for file in [
            "usr/local/bin/rolloutd", "usr/local/bin/rolloutctl",
            "etc/rolloutd/rolloutd.toml", "etc/systemd/system/rolloutd.service", "usr/lib/systemd/catalog/rolloutd.catalog",
            "usr/local/share/man/man1/rolloutctl.1", "usr/local/share/man/man8/rolloutd.8",
            "usr/local/share/bash-completion/completions/rolloutctl",
            "usr/local/share/zsh/site-functions/_rolloutctl",
            "usr/local/share/fish/vendor_completions.d/rolloutctl.fish",
        ] {
            let attributes = try? FileManager.default.attributesOfItem(atPath: "\(stage)/\(file)")
            let size = (attributes?[.size] as? NSNumber)?.intValue ?? 0
            #expect(size > 0, "\(file) is missing or empty after scripts/install --destdir")
        }
        let manual = try String(contentsOfFile: "\(stage)/usr/local/share/man/man1/rolloutctl.1", encoding: .utf8)
        #expect(manual.contains(".Dt ROLLOUTCTL 1") && manual.contains("schedule"))
        let daemonManual = try String(contentsOfFile: "\(stage)/usr/local/share/man/man8/rolloutd.8", encoding: .utf8)
        #expect(daemonManual.contains(".Dt ROLLOUTD 8"))

        // A second install keeps the operator's configuration.
        try Data("# edited by the operator\n".utf8).write(to: URL(fileURLWithPath: "\(stage)/etc/rolloutd/rolloutd.toml"))
        let again = try runProcess(URL(fileURLWithPath: "/bin/bash"),
                                   [packageRoot.appendingPathComponent("scripts/install").path, "--destdir", stage,
                                    "--bin-dir", builtExecutable("rolloutctl").deletingLastPathComponent().path],
                                   in: directory)
        try #require(again.status == 0, "\(again)")
        #expect(try String(contentsOfFile: "\(stage)/etc/rolloutd/rolloutd.toml", encoding: .utf8) == "# edited by the operator\n")
    }
}

extension Daemon.ExitStatus {
    static var allRawValues: [Int32] { [Self.ok, .failure, .configuration].map(\.rawValue) }
}
