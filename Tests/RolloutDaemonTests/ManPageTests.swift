import Foundation
import Testing

/// The man pages operators open: rendered by groff and man-db without a warning, one page per
/// `rolloutctl` command and none for `help`, `rolloutd(8)` with the sections an administrator
/// looks for and every journal MESSAGE_ID, `rolloutd.toml(5)` with every configuration key, and
/// examples short enough to paste from an 80-column terminal.
@Suite(.serialized) struct ManPageTests {
    /// The pages `scripts/generate-docs` makes for the built binaries, by file name.
    static func generate(in directory: TemporaryDirectory) throws -> [String: String] {
        let output = directory.path("docs")
        let result = try runProcess(URL(fileURLWithPath: "/bin/bash"),
                                    [packageRoot.appendingPathComponent("scripts/generate-docs").path, "--bin-dir",
                                     builtExecutable("rolloutctl").deletingLastPathComponent().path, "--output", output],
                                    in: directory)
        try #require(result.status == 0, "\(result)")
        var pages: [String: String] = [:]
        for section in ["man1", "man5", "man8"] {
            for name in try FileManager.default.contentsOfDirectory(atPath: "\(output)/man/\(section)") {
                pages[name] = "\(output)/man/\(section)/\(name)"
            }
        }
        return pages
    }

    @Test("every page renders with groff -ww and man -l without a warning")
    func render() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pages = try Self.generate(in: directory)
        #expect(pages.count >= 40, "\(pages.keys.sorted())")
        for (name, path) in pages.sorted(by: { $0.key < $1.key }) {
            let groff = try runProcess(URL(fileURLWithPath: "/usr/bin/groff"), ["-mandoc", "-ww", "-z", "-Tutf8", path], in: directory)
            #expect(groff.status == 0 && groff.stderr.isEmpty, "\(name): \(groff)")
            let man = try runProcess(URL(fileURLWithPath: "/usr/bin/man"), ["-l", path], in: directory,
                                     environment: ["MANWIDTH": "80", "MANPAGER": "cat", "PAGER": "cat", "MAN_KEEP_FORMATTING": "0"])
            #expect(man.status == 0 && man.stderr.isEmpty, "\(name): \(man)")
            #expect(man.stdout.count > 200, "\(name) renders empty: \(man)")
        }
    }

    @Test("one page per rolloutctl command, named as git names them, and none for help")
    func onePagePerCommand() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pages = try Self.generate(in: directory)
        for path in try DocsTests.commandPaths(in: directory) {
            let name = (["rolloutctl"] + path).joined(separator: "-") + ".1"
            #expect(pages[name] != nil, "no man page \(name)")
        }
        #expect(pages["rolloutctl.1"] != nil)
        #expect(!pages.keys.contains { $0.contains("help") })
        for (name, path) in pages where name.hasPrefix("rolloutctl") {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            #expect(!text.contains("rolloutctl-help") && !text.contains("rolloutctl.help"), "\(name) points at a help page")
        }
    }

    @Test("rolloutd(8) has the sections an administrator looks for and every MESSAGE_ID of the catalog")
    func daemonPage() throws {
        let page = try DocsTests.read("man/rolloutd.8")
        for section in ["SYNOPSIS", "DESCRIPTION", "OPTIONS", "SIGNALS", "ENVIRONMENT", "FILES", "EXIT STATUS", "JOURNAL", "EXAMPLES", "SEE ALSO"] {
            #expect(page.contains(".Sh \(section)") || page.contains(".Sh \"\(section)\""), "rolloutd(8) has no \(section)")
        }
        let catalog = try DocsTests.read("systemd/rolloutd.catalog")
        for match in catalog.matches(of: /(?m)^-- ([0-9a-f]{32})$/) {
            #expect(page.contains(".It \(match.1)"), "rolloutd(8) JOURNAL does not list MESSAGE_ID \(match.1) of the catalog")
        }
        for status in ["0", "1", "64", "78"] { #expect(page.contains(".It \(status)\n"), "EXIT STATUS lacks \(status)") }
    }

    @Test("rolloutd.toml(5) describes every key of config/rolloutd.toml")
    func configurationPage() throws {
        let page = try DocsTests.read("man/rolloutd.toml.5")
        let configuration = try DocsTests.read("config/rolloutd.toml")
        var table = ""
        var keys = 0
        for line in configuration.split(separator: "\n") {
            if let match = line.wholeMatch(of: /\[([a-z_]+)\]/) {
                table = String(match.1)
                #expect(page.contains(".Ss [\(table)]"), "rolloutd.toml(5) has no [\(table)]")
            } else if let match = line.firstMatch(of: #/^\# ([a-z_]+) = /#) {
                keys += 1
                #expect(page.contains("Cm \(match.1) "), "rolloutd.toml(5) does not describe \(table).\(match.1)")
            }
        }
        #expect(keys >= 15)
    }
}
