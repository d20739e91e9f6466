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

    /// Generates the pages and runs `body` on each, by name; returns how many there were.
    @discardableResult
    static func eachPage(_ body: (_ name: String, _ path: String, _ directory: TemporaryDirectory) throws -> Void) throws -> Int {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let pages = try generate(in: directory)
        for (name, path) in pages.sorted(by: { $0.key < $1.key }) { try body(name, path, directory) }
        return pages.count
    }

    @Test("every page renders with groff -ww and man -l without a warning, no line wider than an 80-column terminal")
    func render() throws {
        var lines = 0
        let count = try Self.eachPage { name, path, directory in
            let groff = try runProcess(URL(fileURLWithPath: "/usr/bin/groff"), ["-mandoc", "-ww", "-z", "-Tutf8", path], in: directory)
            #expect(groff.status == 0 && groff.stderr.isEmpty, "\(name): \(groff)")
            let man = try runProcess(URL(fileURLWithPath: "/usr/bin/man"), ["-l", path], in: directory,
                                     environment: ["MANWIDTH": "80", "MANPAGER": "cat", "PAGER": "cat", "MAN_KEEP_FORMATTING": "0"])
            #expect(man.status == 0 && man.stderr.isEmpty, "\(name): \(man)")
            #expect(man.stdout.count > 200, "\(name) renders empty: \(man)")
            // Without a terminal man-db still overstrikes bold and underline (x\bx, _\bx): drop them.
            for line in man.stdout.replacing(/.\u{8}/, with: "").split(separator: "\n") {
                #expect(line.count <= 80, "\(name): \(line.count) columns: \(line)")
                lines += 1
            }
        }
        #expect(count >= 40)
        #expect(lines > 1_500, "read \(lines) lines")
    }

    @Test("examples paste as written: a command continued on the next line ends with a backslash")
    func examplesPaste() throws {
        var continued = 0
        try Self.eachPage { name, path, _ in
            // The literal displays (.Bd -literal … .Ed) of the source: examples, one command a line.
            var display: [String]?
            for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false) {
                if line.hasPrefix(".Bd -literal") { display = []; continue }
                if line == ".Ed", let lines = display {
                    for (previous, line) in zip(lines, lines.dropFirst()) {
                        let indent = { (text: String) in text.prefix { $0 == " " }.count }
                        guard indent(line) > indent(previous) else { continue }
                        // A deeper line continues the command above it: that one must end in \ (roff: \e).
                        #expect(previous.hasSuffix(" \\") || previous.hasSuffix(" \\e"), "\(name): '\(previous)' is continued but does not end with \\")
                        continued += 1
                    }
                    display = nil
                    continue
                }
                display?.append(String(line))
            }
        }
        #expect(continued >= 10, "\(continued) continued examples checked")
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

    @Test("rolloutd.toml(5) gives every key of config/rolloutd.toml its type, its default as the file has it, and a meaning")
    func configurationPage() throws {
        let page = try DocsTests.read("man/rolloutd.toml.5")
        let configuration = try DocsTests.read("config/rolloutd.toml")
        let pageLines = page.split(separator: "\n").map(String.init)
        var table = ""
        var keys = 0
        for line in configuration.split(separator: "\n") {
            if let match = line.wholeMatch(of: /\[([a-z_]+)\]/) {
                table = String(match.1)
                #expect(page.contains(".Ss [\(table)]"), "rolloutd.toml(5) has no [\(table)]")
            } else if let match = line.firstMatch(of: #/^\# ([a-z_]+) = (.+?)(\s+#.*)?$/#) {
                keys += 1
                let key = String(match.1)
                // The key's entry in its table's section: from its .It line to the next .It or .El.
                let section = pageLines.drop { $0 != ".Ss [\(table)]" }
                guard let start = section.firstIndex(where: { $0.hasPrefix(".It") && $0.contains("Cm \(key) No = Ar ") }) else {
                    Issue.record("rolloutd.toml(5) does not describe \(table).\(key)")
                    continue
                }
                let entry = section[start...].prefix { $0 == section[start] || !($0.hasPrefix(".It") || $0 == ".El") }
                let type = section[start].components(separatedBy: "Cm \(key) No = Ar ").last?.components(separatedBy: " ,").first
                #expect(["integer", "string", "boolean", "array", "array of strings"].contains(type ?? "-"),
                        "\(table).\(key): type '\(type ?? "-")'")
                let text = entry.joined(separator: "\n")
                let value = String(match.2).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                #expect(text.contains("Default"), "\(table).\(key): no default")
                #expect(text.contains(value) || (value == "[]" && text.contains("empty")),
                        "\(table).\(key): the file's default \(value) is not the page's: \(text)")
                #expect(entry.dropFirst().contains { !$0.hasPrefix(".") && $0.count > 20 }, "\(table).\(key): no meaning")
            }
        }
        #expect(keys >= 30, "\(keys) keys")
    }
}
